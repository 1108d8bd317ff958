import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { Between, EntityManager, LessThan, MoreThan } from 'typeorm';
import { afterCommit, Transactions } from '../database/transactions';
import { Revocation } from './entities/revocation.entity';
import type { Principal } from './principal';
import { RedisRevocationChannel, RevocationMessage } from './revocation-channel';
import { LogCursor } from './revocation-cursor';
import { JwtConfig, jwtConfig, RevocationConfig, revocationConfig } from './security.config';

/**
 * How long an id missing below the highest one read is read again: far longer than a transaction of
 * this service stays open before it commits. Cheap: only the missing ids are read again.
 */
const GAP_WAIT_MS = 10 * 60_000;
/** At start, holes among entries dated this long ago are pruned entries, not open transactions. */
const SETTLED_AFTER_MS = 3600_000;
/** Rows per query when much of the log is read at once (at start, after a long gap). */
const READ_PAGE_SIZE = 1000;
/** Not ready once the log could not be read for this many poll periods. */
const STALE_AFTER_POLLS = 3;
/** Tokens are checked to the second and instances' clocks differ a little: entries outlive their tokens by this much. */
const CLOCK_LEEWAY_MS = 60_000;
/** Entries stay in the log this long after they stopped mattering, then are removed. */
const LOG_RETENTION_MS = 3600_000;
/** While Redis delivers, the log is still read this many times less often: a backstop for a lost message. */
const POLL_SLOWDOWN_WITH_REDIS = 10;

interface UserRevocation {
  /** Tokens that carry `iat_ms` are refused when issued at or before this millisecond, */
  revokedAtMs: number;
  /** and tokens of older builds, which carry only `iat`, when issued at or before this second. */
  revokedAtSeconds: number;
  forgetAt: number;
}

/** A session to revoke, and how long a token issued for it can still be valid. */
export interface RevokedSession {
  id: string;
  /** Minted and personal tokens: their own expiry. Absent for a login, whose access tokens live ACCESS_TOKEN_TTL. */
  tokensExpireAt?: Date;
}

/**
 * The in-memory view of revocations that the guard consults on every request,
 * so that revocation costs no database query per request.
 *
 * The record is the revocation log (auth_revocation), written in the same
 * transaction as the change that revokes; this view is loaded from it at start
 * and updated at once by whoever revokes here. An entry matters while a token
 * it covers can still be unexpired (a minted token can live MINT_MAX_TTL), and
 * is forgotten after that: here at the row's expires_at, in the log an hour later.
 * Other instances' revocations arrive by polling the log every
 * REVOCATION_POLL_MS; with REDIS_URL they are also published on a Redis
 * channel after the commit, and the log is then read only as a backstop
 * (ten times less often, and at once after Redis comes back).
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  private readonly sessions = new Map<string, number>();
  /** Single access tokens by jti: those a refresh of the api/v2 family replaced. */
  private readonly tokens = new Map<string, number>();
  private readonly users = new Map<string, UserRevocation>();
  private pruneTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  /** The Redis subscription came back while a poll was running: read once more after it. */
  private readAgain = false;
  private pollFailing = false;
  /** Monotonic milliseconds, as every time of the reads here. */
  private lastPollAt = 0;
  /** When the last successful read of the log began: every entry committed before is known. */
  private lastReadAt = 0;
  /** When the Redis subscription last came up (monotonic): the view is complete once a read of the log began after it. */
  private subscribedAt = Number.POSITIVE_INFINITY;
  private readonly cursor = new LogCursor(GAP_WAIT_MS);
  private readonly channel?: RedisRevocationChannel;

  constructor(
    private readonly transactions: Transactions,
    @Inject(revocationConfig.token) private readonly config: RevocationConfig,
    @Inject(jwtConfig.token) private readonly jwt: JwtConfig,
  ) {
    if (config.redisUrl) {
      this.channel = new RedisRevocationChannel(
        config.redisUrl,
        (messages) => {
          for (const message of messages) {
            // Older instances publish no expiry: keep theirs as long as any token can live.
            this.apply(message.kind, message.subject, message.revokedAt, message.expiresAt ?? message.revokedAt + this.longestTokenLifetimeMs());
          }
        },
        // What was published while the subscription was down is in the log.
        (subscribed) => {
          if (!subscribed) return;
          this.subscribedAt = performance.now();
          this.catchUp();
        },
      );
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
    this.pruneTimer = setInterval(() => void this.prune(), 60_000);
    this.pruneTimer.unref();
    if (this.config.pollMs > 0) {
      this.pollTimer = setInterval(() => void this.pollIfDue(), this.config.pollMs);
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

  /** Milliseconds since the last successful read of the log began; undefined when the log is not polled. */
  lagMs(): number | undefined {
    if (this.config.pollMs <= 0) return undefined;
    return Math.round(performance.now() - this.lastReadAt);
  }

  /**
   * Milliseconds since this view was last known complete, for GET /metrics: 0 while Redis delivers and the
   * log has been read since the subscription came up (every revocation then arrives as it is published);
   * otherwise since the last successful read of the log began. Undefined when this instance follows no
   * other (REVOCATION_POLL_MS=0 and no REDIS_URL).
   */
  viewLagMs(): number | undefined {
    if (this.channel?.subscribed && this.lastReadAt >= this.subscribedAt) return 0;
    if (this.config.pollMs <= 0 && !this.channel) return undefined;
    return Math.round(performance.now() - this.lastReadAt);
  }

  /** False while the log cannot be read and has not been for a few poll periods: revocations made elsewhere may be missing. */
  isCurrent(): boolean {
    if (this.config.pollMs <= 0) return true;
    const now = performance.now();
    const interval = this.pollInterval();
    // A read still running after a whole period counts as failing: the database may be stalled.
    const cannotRead = this.pollFailing || (this.polling && now - this.lastPollAt > interval);
    return !cannotRead || now - this.lastReadAt <= STALE_AFTER_POLLS * interval;
  }

  isRevoked(principal: Principal): boolean {
    if (this.sessions.size > 0 && this.sessions.has(principal.sid)) return true;
    if (this.tokens.size > 0 && this.tokens.has(principal.jti)) return true;
    if (this.users.size === 0) return false;
    const user = this.users.get(principal.sub);
    if (user === undefined) return false;
    // A token of an older build issued in the second of the revocation counts as issued before it.
    return principal.iat_ms !== undefined ? principal.iat_ms <= user.revokedAtMs : principal.iat <= user.revokedAtSeconds;
  }

  /** Ends the tokens of these sessions: logged in the caller's transaction, applied once it commits. */
  async revokeSessions(manager: EntityManager, sessions: RevokedSession[], now = new Date()): Promise<void> {
    if (sessions.length === 0) return;
    const accessTokensExpireAt = now.getTime() + this.jwt.accessTtlSeconds * 1000;
    await this.record(
      manager,
      sessions.map(({ id, tokensExpireAt }) => ({
        kind: 'session',
        subject: id,
        revokedAt: now.getTime(),
        expiresAt: Math.max(accessTokensExpireAt, tokensExpireAt?.getTime() ?? 0) + CLOCK_LEEWAY_MS,
      })),
    );
  }

  /** Ends single access tokens (by jti), each kept until it would have expired anyway. */
  async revokeTokens(manager: EntityManager, tokens: Array<{ jti: string; expiresAt: Date }>, now = new Date()): Promise<void> {
    if (tokens.length === 0) return;
    await this.record(
      manager,
      tokens.map(({ jti, expiresAt }) => ({ kind: 'token', subject: jti, revokedAt: now.getTime(), expiresAt: expiresAt.getTime() + CLOCK_LEEWAY_MS })),
    );
  }

  /**
   * Ends every token the user holds now, whatever session or minting it came from:
   * kept as long as the longest-lived of them, a minted one, can be valid, or
   * longer when one is known to expire later (minted before MINT_MAX_TTL was lowered).
   */
  async revokeUser(manager: EntityManager, userId: number, now = new Date(), tokensExpireAt?: Date): Promise<void> {
    const expiresAt = Math.max(now.getTime() + this.longestTokenLifetimeMs(), (tokensExpireAt?.getTime() ?? 0) + CLOCK_LEEWAY_MS);
    await this.record(manager, [{ kind: 'user', subject: String(userId), revokedAt: now.getTime(), expiresAt }]);
  }

  /** Into the log within the caller's transaction; here and on the other instances only once it has committed. */
  private async record(manager: EntityManager, entries: Array<Required<RevocationMessage>>): Promise<void> {
    await manager
      .getRepository(Revocation)
      .insert(entries.map(({ kind, subject, revokedAt, expiresAt }) => ({ kind, subject, revokedAt: new Date(revokedAt), expiresAt: new Date(expiresAt) })));
    afterCommit(manager, () => {
      for (const entry of entries) this.apply(entry.kind, entry.subject, entry.revokedAt, entry.expiresAt);
      this.channel?.publish(entries);
    });
  }

  /** Applying an entry again, or an older one, never shortens what is known. */
  private apply(kind: Revocation['kind'], subject: string, revokedAtMs: number, forgetAt: number): void {
    if (kind === 'session' || kind === 'token') {
      const entries = kind === 'session' ? this.sessions : this.tokens;
      const known = entries.get(subject);
      if (known === undefined || known < forgetAt) entries.set(subject, forgetAt);
      return;
    }
    const known = this.users.get(subject);
    if (!known) {
      this.users.set(subject, { revokedAtMs, revokedAtSeconds: Math.floor(revokedAtMs / 1000), forgetAt });
      return;
    }
    if (known.revokedAtMs < revokedAtMs) {
      known.revokedAtMs = revokedAtMs;
      known.revokedAtSeconds = Math.floor(revokedAtMs / 1000);
    }
    if (known.forgetAt < forgetAt) known.forgetAt = forgetAt;
  }

  private applyRow(row: Revocation): void {
    this.apply(row.kind, row.subject, row.revokedAt.getTime(), row.expiresAt.getTime());
  }

  private async load(): Promise<void> {
    const applied = await this.read(true);
    this.logger.log(`loaded ${applied} revocations still in force`);
  }

  /**
   * Reads what was appended to the log since this instance last read it: the
   * ids above the highest one read, and those still missing below it (see
   * LogCursor). Not a window of time: after a gap of any length, and whatever
   * the clocks of the instances that wrote the entries, nothing is skipped.
   * Applying an entry twice changes nothing. In a transaction so that, on
   * SQLite's shared connection, it never reads another request's uncommitted
   * (and perhaps rolled-back) entries. Returns how many entries in force it applied.
   */
  private async read(atStart = false): Promise<number> {
    const startedAt = performance.now();
    const rows = await this.transactions.run(async (manager) => {
      const log = manager.getRepository(Revocation);
      const awaited = this.cursor.awaited;
      const found = awaited.length > 0 ? await log.find({ where: awaited.map(([from, to]) => ({ id: Between(from, to) })) }) : [];
      for (let after = this.cursor.highestId; ;) {
        const page = await log.find({ where: { id: MoreThan(after) }, order: { id: 'ASC' }, take: READ_PAGE_SIZE });
        found.push(...page);
        if (page.length < READ_PAGE_SIZE) return found;
        after = page[page.length - 1].id;
      }
    });
    const now = Date.now();
    let applied = 0;
    let settledId = 0;
    for (const row of rows) {
      if (atStart && row.revokedAt.getTime() < now - SETTLED_AFTER_MS) settledId = Math.max(settledId, row.id);
      if (row.expiresAt.getTime() <= now) continue;
      this.applyRow(row);
      applied++;
    }
    this.cursor.advance(
      rows.map((row) => row.id),
      startedAt,
      performance.now(),
      settledId,
    );
    this.lastReadAt = startedAt;
    return applied;
  }

  private pollInterval(): number {
    return this.channel?.subscribed ? this.config.pollMs * POLL_SLOWDOWN_WITH_REDIS : this.config.pollMs;
  }

  /** Polls once a period has passed since the last poll began (ten periods while Redis delivers). */
  private pollIfDue(): Promise<void> | undefined {
    // Half a period of slack: timers fire a little early or late.
    if (performance.now() - this.lastPollAt < this.pollInterval() - this.config.pollMs / 2) return undefined;
    return this.poll();
  }

  /** Reads the log now, or once more right after the read in progress, which may have begun too early. */
  private catchUp(): void {
    if (this.polling) this.readAgain = true;
    else void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    this.lastPollAt = performance.now();
    try {
      await this.read();
      if (this.pollFailing) this.logger.log('reading the revocation log again');
      this.pollFailing = false;
    } catch (error) {
      // Logged once per outage, not every half second.
      if (!this.pollFailing) this.logger.warn(`cannot read the revocation log: ${(error as Error).message}`);
      this.pollFailing = true;
    } finally {
      this.polling = false;
    }
    if (this.readAgain) {
      this.readAgain = false;
      await this.poll();
    }
  }

  /** Forgets the entries whose tokens have all expired by `now` (a parameter so that tests can let time pass). */
  async prune(now = Date.now()): Promise<void> {
    for (const [sessionId, forgetAt] of this.sessions) if (forgetAt <= now) this.sessions.delete(sessionId);
    for (const [jti, forgetAt] of this.tokens) if (forgetAt <= now) this.tokens.delete(jti);
    for (const [userId, entry] of this.users) if (entry.forgetAt <= now) this.users.delete(userId);
    try {
      // Through Transactions: on SQLite's shared connection a bare DELETE would land in another request's transaction.
      await this.transactions.run((manager) => manager.getRepository(Revocation).delete({ expiresAt: LessThan(new Date(now - LOG_RETENTION_MS)) }));
    } catch (error) {
      this.logger.warn(`could not prune the revocation log: ${(error as Error).message}`);
    }
  }

  /** How long after its revocation a token of a user can still be valid: an access token's or a minted token's life. */
  private longestTokenLifetimeMs(): number {
    return Math.max(this.jwt.accessTtlSeconds, this.jwt.mintMaxTtlSeconds) * 1000 + CLOCK_LEEWAY_MS;
  }
}
