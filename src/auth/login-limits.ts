import { Inject, Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { Metrics } from '../metrics/metrics';
import { Limit, limitKey, Limits } from '../security/limits';
import { LoginThrottleConfig, loginThrottleConfig } from './auth.config';

/**
 * How long an attempt refused on its pair or address waits for the attempts in flight to end: their points
 * come back if they succeed. Many bcrypt checks' time, on a busy machine too (2 s let some of 50 concurrent
 * correct logins be refused on a loaded CI runner); an attacker whose pair is spent waits it out too, and one
 * with nothing in flight is refused at once.
 */
const PATIENCE_MS = 10_000;
const MAX_ENDED_KEYS = 10_000;
const LOOK_AGAIN_MS = 100;

/** One password or code check under way: tell it how the check ended. */
export interface LoginAttempt {
  /** Wrong password or code, unknown or disabled user: the points taken stay. */
  failed(): Promise<void>;
  /** The pair starts afresh, the address and the account get their point back, the address becomes known. */
  succeeded(): Promise<void>;
  /** Ended without an answer on the password (the database was down): it counts for nothing. */
  abandoned(): Promise<void>;
}

/**
 * Slows password and code guessing down, on counters every instance shares (security/limits.ts):
 * per login name and address (LOGIN_MAX_FAILURES), per address (LOGIN_MAX_FAILURES_PER_IP), both per
 * LOGIN_LOCKOUT; and per account whatever the address (LOGIN_MAX_FAILURES_PER_ACCOUNT per
 * LOGIN_ACCOUNT_WINDOW), which refuses only addresses that have never logged into it: a botnet cannot
 * guess one account, nor lock its owner out.
 *
 * Each attempt takes its points before the password is checked, atomically in the shared store: a burst
 * of wrong guesses on any number of instances gets no more checks than the limit. Concurrent correct logins
 * beyond the remaining points wait (up to PATIENCE_MS) for those in flight to give their points back.
 */
@Injectable()
export class LoginLimits {
  private readonly pair: Limit;
  private readonly address: Limit;
  private readonly account: Limit;
  /** Checks under way in this process, per key: only they are worth waiting for (a spent pair answers at once). */
  private readonly inFlight = new Map<string, number>();
  /** Per key, the sequence number of its last ended attempt here (bounded): a refusal that saw one end looks again. */
  private readonly lastEnded = new Map<string, number>();
  private endSequence = 0;
  /** Refused attempts waiting for the next end on their key. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    private readonly limits: Limits,
    @Inject(loginThrottleConfig.token) config: LoginThrottleConfig,
    private readonly metrics: Metrics,
  ) {
    const window = config.windowSeconds;
    this.pair = limits.limit('login-pair', { points: config.maxFailures, windowSeconds: window }, 'error.loginThrottled');
    this.address = limits.limit('login-ip', { points: config.maxFailuresPerIp, windowSeconds: window }, 'error.loginThrottled');
    this.account = limits.limit('login-account', limits.config.account, 'error.loginThrottled');
  }

  /**
   * When a refused attempt should look again: at once if an attempt on its key ended here since it last looked
   * (a success may have given the points back before the refusal arrived); else when the next one ends, or
   * LOOK_AGAIN_MS later (one may end on another instance); never while none is in flight here.
   */
  private nextTurn(key: string): () => Promise<boolean> {
    let seen = this.lastEnded.get(key) ?? 0;
    return async () => {
      const latest = this.lastEnded.get(key) ?? 0;
      if (latest !== seen) {
        seen = latest;
        return true;
      }
      if ((this.inFlight.get(key) ?? 0) === 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, LOOK_AGAIN_MS);
        const waiting = this.waiting.get(key) ?? [];
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.waiting.set(key, waiting);
      });
      seen = this.lastEnded.get(key) ?? 0;
      return true;
    };
  }

  /** Before a password or code is checked: throws 429, with the seconds to wait, when this may not try now. */
  async begin(account: string, ip: string): Promise<LoginAttempt> {
    const pairKey = limitKey(account, ip);
    const ipKey = limitKey(ip);
    const accountKey = limitKey(account);
    const known = this.limits.config.account.points > 0 && (await this.limits.isKnownAddress(account, ip));
    const taken: Array<[Limit, string]> = [];
    const giveBack = () => Promise.all(taken.map(([limit, key]) => limit.giveBack(key)));
    // In flight from the moment its point is taken: whoever is refused meanwhile waits for this attempt's end.
    const ended = () => {
      for (const [, key] of taken) {
        const left = (this.inFlight.get(key) ?? 1) - 1;
        if (left > 0) this.inFlight.set(key, left);
        else this.inFlight.delete(key);
        this.lastEnded.delete(key);
        this.lastEnded.set(key, ++this.endSequence);
        if (this.lastEnded.size > MAX_ENDED_KEYS) this.lastEnded.delete(this.lastEnded.keys().next().value!);
        const waiting = this.waiting.get(key);
        this.waiting.delete(key);
        for (const wake of waiting ?? []) wake();
      }
    };
    try {
      for (const [limit, key] of [[this.pair, pairKey], [this.address, ipKey], ...(known ? [] : [[this.account, accountKey]])] as Array<[Limit, string]>) {
        await limit.take(key, PATIENCE_MS, this.nextTurn(key));
        taken.push([limit, key]);
        this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
      }
    } catch (error) {
      try {
        await giveBack();
      } finally {
        ended();
      }
      if (error instanceof AppException && error.status === 429) this.metrics.login('throttled');
      throw error;
    }
    // Every password and code login of both families passes here: its outcome is counted as it is told.
    return {
      failed: async () => {
        this.metrics.login('failed');
        ended();
      },
      succeeded: async () => {
        this.metrics.login('ok');
        try {
          await Promise.all([
            this.pair.reset(pairKey),
            this.address.giveBack(ipKey),
            known ? undefined : this.account.giveBack(accountKey),
            this.limits.rememberAddress(account, ip),
          ]);
        } finally {
          ended();
        }
      },
      abandoned: async () => {
        try {
          await giveBack();
        } finally {
          ended();
        }
      },
    };
  }
}
