import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource, EntityManager, LessThan, MoreThan } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { afterCommit } from '../database/transactions';
import { Revocation } from './entities/revocation.entity';
import type { Principal } from './principal';
import { RedisRevocationChannel, RevocationMessage } from './revocation-channel';

/** How far back each poll of the revocation log reads. */
const POLL_WINDOW_MS = 60_000;
/** While Redis delivers, the log is still read this many times less often: a backstop for a lost message. */
const POLL_SLOWDOWN_WITH_REDIS = 10;

interface UserRevocation {
  /** Tokens issued at or before this second are refused. */
  revokedAtSeconds: number;
  forgetAt: number;
}

/**
 * The in-memory view of revocations that the guard consults on every request,
 * so that revocation costs no database query per request.
 *
 * The record is the revocation log (auth_revocation), written in the same
 * transaction as the change that revokes; this view is loaded from it at start
 * and updated at once by whoever revokes here. An entry matters only while an
 * access token it affects can still be unexpired, and is forgotten after that.
 * Other instances' revocations arrive by polling the log every
 * REVOCATION_POLL_MS; with REDIS_URL they are also published on a Redis
 * channel after the commit, and the log is then read only as a backstop
 * (ten times less often, and at once after Redis comes back).
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, UserRevocation>();
  private pruneTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private pollFailing = false;
  private lastPollAt = 0;
  private readonly channel?: RedisRevocationChannel;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (config.redisUrl) {
      this.channel = new RedisRevocationChannel(
        config.redisUrl,
        (messages) => {
          for (const message of messages) this.apply(message.kind, message.subject, new Date(message.revokedAt));
        },
        // What was published while the subscription was down is in the log.
        (subscribed) => subscribed && void this.poll(),
      );
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
    this.pruneTimer = setInterval(() => void this.prune(), 60_000);
    this.pruneTimer.unref();
    if (this.config.revocationPollMs > 0) {
      this.pollTimer = setInterval(() => void this.pollIfDue(), this.config.revocationPollMs);
      this.pollTimer.unref();
    }
    this.channel?.start();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    clearInterval(this.pollTimer);
    await this.channel?.stop();
  }

  /** Whether revocations arrive through Redis right now; undefined without REDIS_URL. */
  redisState(): 'up' | 'down' | undefined {
    if (!this.channel) return undefined;
    return this.channel.subscribed ? 'up' : 'down';
  }

  isRevoked(principal: Principal): boolean {
    if (this.sessions.size > 0 && this.sessions.has(principal.sid)) return true;
    if (this.users.size === 0) return false;
    const user = this.users.get(principal.sub);
    return user !== undefined && principal.iat <= user.revokedAtSeconds;
  }

  /** Ends the access tokens of these sessions: logged in the caller's transaction, applied once it commits. */
  async revokeSessions(manager: EntityManager, sessionIds: string[], now = new Date()): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.record(
      manager,
      sessionIds.map((subject) => ({ kind: 'session', subject, revokedAt: now.getTime() })),
    );
  }

  /** Ends every access token the user holds now, whatever session or minting it came from. */
  async revokeUser(manager: EntityManager, userId: number, now = new Date()): Promise<void> {
    await this.record(manager, [{ kind: 'user', subject: String(userId), revokedAt: now.getTime() }]);
  }

  /** Into the log within the caller's transaction; here and on the other instances only once it has committed. */
  private async record(manager: EntityManager, entries: RevocationMessage[]): Promise<void> {
    await manager.getRepository(Revocation).insert(
      entries.map(({ kind, subject, revokedAt }) => ({ kind, subject, revokedAt: new Date(revokedAt), expiresAt: this.expiry(new Date(revokedAt)) })),
    );
    afterCommit(manager, () => {
      for (const entry of entries) this.apply(entry.kind, entry.subject, new Date(entry.revokedAt));
      this.channel?.publish(entries);
    });
  }

  private apply(kind: Revocation['kind'], subject: string, revokedAt: Date): void {
    const forgetAt = this.expiry(revokedAt).getTime();
    if (kind === 'session') {
      this.sessions.set(subject, forgetAt);
      return;
    }
    const revokedAtSeconds = Math.floor(revokedAt.getTime() / 1000);
    const known = this.users.get(subject);
    if (!known || known.revokedAtSeconds < revokedAtSeconds) this.users.set(subject, { revokedAtSeconds, forgetAt });
  }

  private async load(): Promise<void> {
    const rows = await this.dataSource.getRepository(Revocation).find({ where: { expiresAt: MoreThan(new Date()) }, order: { id: 'ASC' } });
    for (const row of rows) this.apply(row.kind, row.subject, row.revokedAt);
    this.logger.log(`loaded ${rows.length} revocations still in force`);
  }

  /**
   * Applies what other instances appended to the log. It reads the last
   * minute rather than "after the last id seen": ids of concurrent
   * transactions commit out of order, and instances' clocks differ a little.
   * Applying an entry twice changes nothing.
   */
  private pollIfDue(): Promise<void> | undefined {
    const interval = this.channel?.subscribed ? this.config.revocationPollMs * POLL_SLOWDOWN_WITH_REDIS : this.config.revocationPollMs;
    // Half a period of slack: timers fire a little early or late.
    if (Date.now() - this.lastPollAt < interval - this.config.revocationPollMs / 2) return undefined;
    return this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    this.lastPollAt = Date.now();
    try {
      const since = new Date(Date.now() - POLL_WINDOW_MS);
      const rows = await this.dataSource.getRepository(Revocation).find({ where: { revokedAt: MoreThan(since) } });
      for (const row of rows) this.apply(row.kind, row.subject, row.revokedAt);
      if (this.pollFailing) this.logger.log('reading the revocation log again');
      this.pollFailing = false;
    } catch (error) {
      // Logged once per outage, not every half second.
      if (!this.pollFailing) this.logger.warn(`cannot read the revocation log: ${(error as Error).message}`);
      this.pollFailing = true;
    } finally {
      this.polling = false;
    }
  }

  async prune(now = Date.now()): Promise<void> {
    for (const [sessionId, forgetAt] of this.sessions) if (forgetAt <= now) this.sessions.delete(sessionId);
    for (const [userId, entry] of this.users) if (entry.forgetAt <= now) this.users.delete(userId);
    try {
      await this.dataSource.getRepository(Revocation).delete({ expiresAt: LessThan(new Date(now - 3600_000)) });
    } catch (error) {
      this.logger.warn(`could not prune the revocation log: ${(error as Error).message}`);
    }
  }

  /** Tokens are checked to the second and clocks drift: keep entries a minute longer than a token lives. */
  private expiry(revokedAt: Date): Date {
    return new Date(revokedAt.getTime() + (this.config.jwt.accessTtlSeconds + 60) * 1000);
  }
}
