import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { APP_CONFIG, AppConfig } from '../config/app.config';

interface Window {
  /** Failed logins since the window began. */
  failures: number;
  /** Unix ms at which the failures are forgotten. */
  resetAt: number;
  /** Attempts whose password is being checked right now. */
  inFlight: number;
}

/** Keys remembered at most; the oldest are forgotten first beyond that (an attacker cycling names or addresses). */
const MAX_KEYS = 100_000;
const PRUNE_EVERY_MS = 60_000;
/** Attempts checked at once for one username from one address: more is a burst of guesses, not a user. */
const MAX_IN_FLIGHT_PER_PAIR = 20;

/**
 * Slows password guessing down. Failed logins are counted per username and
 * client address (guessing one account) and per address alone (trying one
 * password on many accounts). Past the limit, that pair or address is refused
 * with 429 before any password is checked, whether the password is right or
 * not, until the window that began with its first failure has passed. A
 * successful login clears its pair, not its address. Counting per pair rather
 * than per account keeps an attacker from locking the real user out.
 *
 * The counts are kept by each instance: behind a load balancer spreading
 * requests over N instances, an attacker gets up to N times the limit.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Before a password is checked: throws 429, with the seconds to wait, when this username from this
   * address may not try now. Once a key has failed, attempts in flight count as failures until they end,
   * so that a burst of parallel guesses cannot slip under the limit; correct logins in parallel, which
   * never fail, are not held back.
   */
  begin(usernameKey: string, ip: string, now = Date.now()): void {
    const { maxFailures, maxFailuresPerIp } = this.config.loginThrottle;
    const pair = pairKey(usernameKey, ip);
    const retryAfter = Math.max(this.waitFor(pair, maxFailures, now), this.waitFor(ipKey(ip), maxFailuresPerIp, now));
    if (retryAfter > 0) throw new AppException(429, 'error.loginThrottled', { retryAfter });
    if (maxFailures > 0 && (this.windows.get(pair)?.inFlight ?? 0) >= MAX_IN_FLIGHT_PER_PAIR) {
      throw new AppException(429, 'error.loginThrottled', { retryAfter: 1 });
    }
    if (maxFailures > 0) this.window(pair, now).inFlight++;
    if (maxFailuresPerIp > 0) this.window(ipKey(ip), now).inFlight++;
  }

  /** Wrong password, unknown or disabled user. */
  failed(usernameKey: string, ip: string, now = Date.now()): void {
    for (const key of [pairKey(usernameKey, ip), ipKey(ip)]) {
      const window = this.end(key);
      if (!window) continue;
      if (window.failures === 0 || window.resetAt <= now) {
        window.failures = 0;
        window.resetAt = now + this.config.loginThrottle.windowSeconds * 1000;
      }
      window.failures++;
    }
  }

  /** The password was right: the pair starts afresh; the address keeps its failures. */
  succeeded(usernameKey: string, ip: string): void {
    const pair = this.end(pairKey(usernameKey, ip));
    if (pair) pair.failures = 0;
    this.end(ipKey(ip));
  }

  /** The attempt ended without an answer on the password (the database was down): it counts for nothing. */
  abandoned(usernameKey: string, ip: string): void {
    this.end(pairKey(usernameKey, ip));
    this.end(ipKey(ip));
  }

  /** Seconds until the key may try again; 0 when it may now. */
  private waitFor(key: string, limit: number, now: number): number {
    if (limit <= 0) return 0;
    const window = this.windows.get(key);
    if (!window || window.failures === 0 || window.resetAt <= now) return 0;
    if (window.failures + window.inFlight < limit) return 0;
    return Math.ceil((window.resetAt - now) / 1000);
  }

  private window(key: string, now: number): Window {
    let window = this.windows.get(key);
    if (!window) {
      if (this.windows.size >= MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
      window = { failures: 0, resetAt: now, inFlight: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  /** An attempt on this key is over; the window, if it is still kept. */
  private end(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.inFlight > 0) window.inFlight--;
    return window;
  }

  private prune(now = Date.now()): void {
    for (const [key, window] of this.windows) if (window.inFlight === 0 && (window.failures === 0 || window.resetAt <= now)) this.windows.delete(key);
  }
}

const pairKey = (usernameKey: string, ip: string) => `u\n${usernameKey}\n${ip}`;
const ipKey = (ip: string) => `a\n${ip}`;
