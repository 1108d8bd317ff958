import { Logger } from '@nestjs/common';
import type * as IoRedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { loadOnDemand } from '../common/on-demand';

export interface RevocationMessage {
  kind: 'session' | 'user' | 'token';
  /** A session id, or a user id. */
  subject: string;
  /** Unix milliseconds. */
  revokedAt: number;
  /** Unix milliseconds: when the last token the entry covers has expired. Absent from older instances' messages. */
  expiresAt?: number;
}

const REVOCATION_CHANNEL = 'identity:revocations';
/** One message carries the revocations of one transaction; a user's sessions are rarely more than a few. */
const MAX_ENTRIES = 1000;
const MAX_SUBJECT_LENGTH = 64;
const RECONNECT_MAX_DELAY_MS = 2000;

/**
 * Revocations sent to every instance through Redis publish/subscribe, so that
 * they arrive in milliseconds without each instance reading the database log
 * every half second. The log stays the record: what is published has been
 * committed there first, and an instance reads the log again whenever its
 * subscription was broken.
 */
export class RedisRevocationChannel {
  private readonly logger = new Logger(RedisRevocationChannel.name);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private failing = false;
  private closed = false;
  /** True while the subscription is live: messages published now will arrive. */
  subscribed = false;

  constructor(
    url: string,
    private readonly onMessages: (messages: RevocationMessage[]) => void,
    /** Told when the subscription comes up (again) or goes down. */
    private readonly onSubscribed: (subscribed: boolean) => void,
  ) {
    // Loaded only when REDIS_URL is set.
    const { Redis: RedisClient } = loadOnDemand<typeof IoRedis>('ioredis');
    const options: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, RECONNECT_MAX_DELAY_MS),
    };
    // A publish while Redis is away fails at once instead of waiting in a queue: the log carries it anyway.
    this.publisher = new RedisClient(url, { ...options, enableOfflineQueue: false, connectionName: 'identity-revocations-pub' });
    this.subscriber = new RedisClient(url, { ...options, autoResubscribe: false, connectionName: 'identity-revocations-sub' });
    for (const client of [this.publisher, this.subscriber]) client.on('error', (error: Error) => this.reportFailure(error));
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== REVOCATION_CHANNEL) return;
      const messages = parseRevocationMessage(text);
      if (messages) this.onMessages(messages);
      else this.logger.warn('ignored a malformed message on the revocation channel');
    });
    // At every (re)connection: subscribed only once Redis has confirmed it, so that the catch-up read of
    // the log that follows cannot fall before the moment from which messages arrive.
    this.subscriber.on('ready', () => {
      this.subscriber
        .subscribe(REVOCATION_CHANNEL)
        .then(() => this.setSubscribed(true))
        .catch((error: Error) => this.reportFailure(error));
    });
    this.subscriber.on('close', () => this.setSubscribed(false));
  }

  /** Connects in the background: a Redis that is down or slow must not keep the server from starting. */
  start(): void {
    for (const client of [this.publisher, this.subscriber]) client.connect().catch(() => undefined);
  }

  publish(messages: RevocationMessage[]): void {
    if (messages.length === 0) return;
    this.publisher.publish(REVOCATION_CHANNEL, JSON.stringify(messages)).catch((error: Error) => this.reportFailure(error));
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.setSubscribed(false);
    await Promise.all(
      [this.publisher, this.subscriber].map(async (client) => {
        // QUIT would wait in the offline queue of a client that is not connected.
        if (client.status === 'ready') {
          try {
            await client.quit();
            return;
          } catch {
            // closed under us: disconnect below
          }
        }
        client.disconnect();
      }),
    );
  }

  private setSubscribed(subscribed: boolean): void {
    if (subscribed && this.closed) return;
    if (subscribed === this.subscribed) return;
    this.subscribed = subscribed;
    if (subscribed && this.failing) {
      this.logger.log('revocations travel through Redis again');
      this.failing = false;
    }
    this.onSubscribed(subscribed);
  }

  /** Once per outage, not at every reconnection attempt. */
  private reportFailure(error: Error): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    this.logger.warn(`Redis unavailable, revocations travel through the database log only: ${error.message}`);
  }
}

/** The revocations in a message from the channel; undefined for anything that is not one. */
export function parseRevocationMessage(text: string): RevocationMessage[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ENTRIES) return undefined;
  const messages: RevocationMessage[] = [];
  for (const item of value) {
    if (item === null || typeof item !== 'object') return undefined;
    const { kind, subject, revokedAt, expiresAt } = item as Record<string, unknown>;
    if (kind !== 'session' && kind !== 'user' && kind !== 'token') return undefined;
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) return undefined;
    if (!isTimestamp(revokedAt)) return undefined;
    if (expiresAt === undefined) messages.push({ kind, subject, revokedAt });
    else if (isTimestamp(expiresAt)) messages.push({ kind, subject, revokedAt, expiresAt });
    else return undefined;
  }
  return messages;
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
