import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Reader, Transactions } from '../database/transactions';
import { TicketKey } from './entities/ticket-key.entity';
import { TICKET_REVISION_ROW, TicketRevision } from './entities/ticket-revision.entity';
import { TicketConfig, ticketConfig } from './ticket.config';

/** How often an instance asks whether another one changed a ticket: one primary-key read. */
const POLL_EVERY_MS = 1000;
/** Gateways cache the answer this long at most, and never longer than TICKET_ROTATION_GRACE. */
const MAX_AGE_SECONDS = 60;
const NO_KEYS = '{"keys":[]}';

/** A key as a gateway sees it: published while its ticket is valid and, once rotated out, until its grace ends. */
export interface PublishedKey {
  /** The public JWK, serialised once. */
  jwk: string;
  /** Unix ms: the ticket's validStartTime. */
  from: number;
  /** Unix ms: the ticket's validEndTime, or the end of the grace period of a rotated-out key, whichever is first. */
  until: number;
}

/** A gateway's answer, serialised, and the first moment a key enters or leaves it. */
interface Answer {
  body: string;
  changesAt: number;
}

/**
 * The JWKS of every gateway, from memory: GET /v1/auth/jwks costs a map lookup and, when the set has changed
 * since the last request (a key's validity began or ended), one join of serialised keys. An instance reloads the
 * live keys after each of its own writes, before answering it, and when the revision row shows that another
 * instance wrote (read every second); every ticket write raises it in its own transaction.
 */
@Injectable()
export class TicketJwksService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TicketJwksService.name);
  private keys = new Map<number, PublishedKey[]>();
  private answers = new Map<number, Answer>();
  /** The revision the loaded keys are at least as new as; -1 before the first load. */
  private revision = -1;
  private loading?: Promise<void>;
  private queued?: Promise<void>;
  private polling = false;
  private timer?: NodeJS.Timeout;
  /** The Cache-Control of every answer. */
  readonly cacheControl: string;

  constructor(
    private readonly transactions: Transactions,
    @Inject(ticketConfig.token) config: TicketConfig,
  ) {
    this.cacheControl = `public, max-age=${Math.min(MAX_AGE_SECONDS, config.rotationGraceSeconds)}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.poll(), POLL_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** `{"keys":[…]}` of the gateway's keys valid at `now`, serialised; no database query. */
  answer(gatewayId: number, now = Date.now()): string {
    const cached = this.answers.get(gatewayId);
    if (cached && now < cached.changesAt) return cached.body;
    const keys = this.keys.get(gatewayId);
    if (!keys) return NO_KEYS;
    const live: string[] = [];
    let changesAt = Infinity;
    for (const key of keys) {
      if (key.from <= now && now < key.until) live.push(key.jwk);
      if (key.from > now) changesAt = Math.min(changesAt, key.from);
      else if (key.until > now) changesAt = Math.min(changesAt, key.until);
    }
    const body = `{"keys":[${live.join(',')}]}`;
    this.answers.set(gatewayId, { body, changesAt });
    return body;
  }

  /**
   * After a write of this instance has committed: the view is reloaded before the write is answered, so its
   * effect (a deleted ticket's key gone) shows at once here. A failure is logged; the next poll retries.
   */
  async refreshAfterWrite(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn(`cannot reload the gateway keys after a ticket change: ${(error as Error).message}`);
    }
  }

  /**
   * One load at a time; a call made while one runs waits for a load that starts after that one, so it
   * reads every write committed before the call.
   */
  refresh(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = undefined));
      return this.loading;
    }
    this.queued ??= this.loading
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.transactions.isOpen) return;
    this.polling = true;
    try {
      if ((await readRevision(this.transactions.reader)) !== this.revision) await this.refresh();
    } catch (error) {
      this.logger.warn(`cannot read the gateway keys: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private async load(): Promise<void> {
    const reader = this.transactions.reader;
    // Read first: the keys read next are at least as new as it, so a write after it raises it again.
    const revision = await readRevision(reader);
    const now = new Date();
    const rows = await reader
      .getRepository(TicketKey)
      .createQueryBuilder('k')
      .innerJoinAndSelect('k.ticket', 't')
      .where('t.validEndTime > :now', { now })
      .andWhere('(k.expiresAt IS NULL OR k.expiresAt > :now)', { now })
      .orderBy('k.createdAt', 'DESC')
      .getMany();
    const keys = new Map<number, PublishedKey[]>();
    for (const row of rows) {
      const ticket = row.ticket!;
      const until = Math.min(ticket.validEndTime.getTime(), row.expiresAt?.getTime() ?? Infinity);
      const gateway = keys.get(ticket.gatewayId) ?? [];
      gateway.push({ jwk: row.publicJwk, from: ticket.validStartTime.getTime(), until });
      keys.set(ticket.gatewayId, gateway);
    }
    this.keys = keys;
    this.answers = new Map();
    this.revision = revision;
  }
}

async function readRevision(reader: Reader): Promise<number> {
  const row = await reader.getRepository(TicketRevision).findOneBy({ id: TICKET_REVISION_ROW });
  return row?.revision ?? 0;
}
