import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { AppException } from '../common/app.exception';
import type { ErrorKey } from '../common/messages';
import { LimiterStorage, RateLimitStore } from '../database/rate-limit-store';
import { AddressRuleName, LimitRule, LimitsConfig, limitsConfig } from './limits.config';
import { RevocationConfig, revocationConfig } from './security.config';

const CLEAR_EXPIRED_EVERY_MS = 5 * 60_000;
/** Blocked keys remembered by one Limit; the oldest are forgotten first. */
const MAX_BLOCKED = 100_000;

/** Keys enter the store hashed: fixed length, ASCII, and no name or address in the clear. */
export function limitKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);
}

/** One rule's counter. Taking a point before the check it guards bounds the checks, even in a burst. */
export class Limit {
  constructor(
    private readonly limiter: RateLimiterAbstract | undefined,
    /** The error a refusal throws; it carries `retryAfter` seconds. */
    private readonly refusal: ErrorKey,
  ) {}

  /**
   * Counts one attempt for `key`; past the limit throws 429 with the seconds until the window ends. A refused
   * attempt looks again, for at most `patienceMs`, each time `nextTurn()` resolves true (an attempt in flight
   * may have given its points back): so concurrent correct logins get in, in turn.
   */
  async take(key: string, patienceMs = 0, nextTurn: () => Promise<boolean> = async () => false): Promise<void> {
    if (!this.limiter) return;
    const giveUpAt = Date.now() + patienceMs;
    for (;;) {
      try {
        await this.limiter.consume(key);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // The store counted the refused point too: take it back, so the count stays the attempts checked.
        await this.limiter.reward(key);
        if (Date.now() >= giveUpAt || !(await nextTurn()) || Date.now() >= giveUpAt)
          throw new AppException(this.refusal, { retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) });
      }
    }
  }

  /** Addresses this instance has seen go past the limit, until when: answered without asking the store. */
  private readonly blockedUntil = new Map<string, number>();

  /**
   * For routes whose check cannot be guessed (a refresh token, a ticket's signature) and that run on every
   * session's every refresh: a success must cost no store access. Throws 429 while this instance has seen `key`
   * go past the limit; the store is written only by refused(). Other instances learn of it at their next refusal
   * for that key, so the store's count can pass the limit by at most one refusal per instance.
   */
  check(key: string, now = Date.now()): void {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return;
    if (until <= now) {
      this.blockedUntil.delete(key);
      return;
    }
    throw new AppException(this.refusal, { retryAfter: Math.max(1, Math.ceil((until - now) / 1000)) });
  }

  /** Counts a refusal for `key` in the store (see check()). */
  async refused(key: string): Promise<void> {
    if (!this.limiter) return;
    let state: RateLimiterRes;
    try {
      state = await this.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      state = rejection;
    }
    if (state.remainingPoints > 0) return;
    if (this.blockedUntil.size >= MAX_BLOCKED) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    this.blockedUntil.set(key, Date.now() + state.msBeforeNext);
  }

  /** The attempt did not count after all (it succeeded, or never reached its check). */
  async giveBack(key: string): Promise<void> {
    if (this.limiter) await this.limiter.reward(key);
  }

  async reset(key: string): Promise<void> {
    if (this.limiter) await this.limiter.delete(key);
  }
}

/**
 * The brute-force limits' counters, shared by every instance: in Redis when REDIS_URL is set (the
 * database stands in while Redis is unreachable, with a log line each way), in the database otherwise.
 */
@Injectable()
export class Limits implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(Limits.name);
  private readonly redis?: Redis;
  private readonly byAddress = new Map<AddressRuleName, Limit>();
  private readonly known: RateLimiterAbstract;
  private redisDown = false;
  private clearTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: RateLimitStore,
    @Inject(limitsConfig.token) readonly config: LimitsConfig,
    @Inject(revocationConfig.token) revocation: RevocationConfig,
  ) {
    if (revocation.redisUrl) {
      // Fails at once while Redis is away (no queue), so the insurance answers without a wait.
      this.redis = new Redis(revocation.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
        connectionName: 'identity-limits',
      });
      this.redis.on('error', (error: Error) => {
        if (this.redisDown) return;
        this.redisDown = true;
        this.logger.warn(`Redis unreachable (${error.message}): limits are counted in the database until it returns`);
      });
      this.redis.on('ready', () => {
        if (this.redisDown) this.logger.log('Redis is back: limits are counted in Redis again');
        this.redisDown = false;
      });
    }
    this.known = this.store.limiter({ keyPrefix: 'known', points: 1, durationSeconds: config.knownAddressSeconds }, this.redis);
    for (const [name, rule] of Object.entries(config.rules) as Array<[AddressRuleName, LimitRule]>) this.byAddress.set(name, this.limit(name, rule));
  }

  onModuleInit(): void {
    this.redis?.connect().catch(() => undefined);
    this.clearTimer = setInterval(() => void this.store.clearExpired().catch(() => undefined), CLEAR_EXPIRED_EVERY_MS);
    this.clearTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.clearTimer);
    this.redis?.disconnect();
  }

  get storage(): LimiterStorage {
    return this.store.storage(this.redis);
  }

  /** A counter of its own under `keyPrefix`; a rule of 0 points never refuses. */
  limit(keyPrefix: string, rule: LimitRule, refusal: ErrorKey = 'error.tooManyRequests'): Limit {
    if (rule.points <= 0) return new Limit(undefined, refusal);
    return new Limit(this.store.limiter({ keyPrefix, points: rule.points, durationSeconds: rule.windowSeconds }, this.redis), refusal);
  }

  /** One of the per-address rules of limits.config.ts. */
  address(name: AddressRuleName): Limit {
    return this.byAddress.get(name)!;
  }

  /** True when this address has logged into this account within LOGIN_KNOWN_ADDRESS_TTL. */
  async isKnownAddress(account: string, ip: string): Promise<boolean> {
    const seen = await this.known.get(limitKey(account, ip));
    return seen !== null && seen.consumedPoints > 0;
  }

  async rememberAddress(account: string, ip: string): Promise<void> {
    await this.known.set(limitKey(account, ip), 1, this.config.knownAddressSeconds);
  }
}
