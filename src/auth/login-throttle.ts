import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { LoginThrottleConfig, loginThrottleConfig } from './auth.config';

interface Window {
  /** Failed logins since the window began. */
  failures: number;
  /** Unix ms at which the failures are forgotten. */
  resetAt: number;
  /** Attempts whose password is being checked right now. */
  inFlight: number;
  /** Attempts waiting for one of those to end. */
  waiting: Array<() => void>;
}

/** Keys remembered at most; the oldest are forgotten first beyond that (an attacker cycling names or addresses). */
const MAX_KEYS = 100_000;
const PRUNE_EVERY_MS = 60_000;
/** Attempts waiting for their turn on one key; beyond that the burst is refused outright. */
const MAX_WAITING_PER_KEY = 1_000;

/**
 * Slows password guessing down. Failed logins are counted per username and
 * client address (guessing one account) and per address alone (trying one
 * password on many accounts). Past the limit, that pair or address is refused
 * with 429 before any password is checked, whether the password is right or
 * not, until the window that began with its first failure has passed. A
 * successful login clears its pair, not its address. Counting per pair rather
 * than per account keeps an attacker from locking the real user out.
 *
 * Under a burst, an attempt whose outcome could take the key past its limit
 * waits until enough of the attempts in flight have ended, instead of being
 * checked or refused: so a burst of wrong guesses gets no more password checks
 * than the limit allows, and concurrent correct logins all get in, in turn.
 *
 * The counts are kept by each instance: behind a load balancer spreading
 * requests over N instances, an attacker gets up to N times the limit.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(@Inject(loginThrottleConfig.token) private readonly config: LoginThrottleConfig) {
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Before a password is checked: throws 429, with the seconds to wait, when this username from this
   * address may not try now; waits while the attempts in flight could still take it past its limit.
   */
  async begin(usernameKey: string, ip: string, now: () => number = Date.now): Promise<void> {
    const { maxFailures, maxFailuresPerIp } = this.config;
    const limits: Array<[string, number]> = [
      [pairKey(usernameKey, ip), maxFailures],
      [ipKey(ip), maxFailuresPerIp],
    ];
    for (;;) {
      const at = now();
      const retryAfter = Math.max(...limits.map(([key, limit]) => this.waitFor(key, limit, at)));
      if (retryAfter > 0) throw new AppException('error.loginThrottled', { retryAfter });
      const busy = limits.find(([key, limit]) => limit > 0 && this.outcomesPending(key, at) >= limit);
      if (!busy) break;
      await this.turn(busy[0], at);
    }
    for (const [key, limit] of limits) if (limit > 0) this.window(key, now()).inFlight++;
  }

  /** Wrong password, unknown or disabled user. */
  failed(usernameKey: string, ip: string, now = Date.now()): void {
    for (const key of [pairKey(usernameKey, ip), ipKey(ip)]) {
      const window = this.windows.get(key);
      if (!window) continue;
      if (window.failures === 0 || window.resetAt <= now) {
        window.failures = 0;
        window.resetAt = now + this.config.windowSeconds * 1000;
      }
      window.failures++;
      this.end(key);
    }
  }

  /** The password was right: the pair starts afresh; the address keeps its failures. */
  succeeded(usernameKey: string, ip: string): void {
    const pair = this.windows.get(pairKey(usernameKey, ip));
    if (pair) pair.failures = 0;
    this.end(pairKey(usernameKey, ip));
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
    if (!window || window.failures < limit || window.resetAt <= now) return 0;
    return Math.ceil((window.resetAt - now) / 1000);
  }

  /** Failures counted in the window, plus attempts in flight that may yet fail. */
  private outcomesPending(key: string, now: number): number {
    const window = this.windows.get(key);
    if (!window) return 0;
    return (window.resetAt > now ? window.failures : 0) + window.inFlight;
  }

  /** Resolves when an attempt on this key ends. */
  private turn(key: string, now: number): Promise<void> {
    const window = this.window(key, now);
    if (window.waiting.length >= MAX_WAITING_PER_KEY) return Promise.reject(new AppException('error.tooManyRequests', { retryAfter: 1 }));
    return new Promise((resolve) => window.waiting.push(resolve));
  }

  private window(key: string, now: number): Window {
    let window = this.windows.get(key);
    if (!window) {
      if (this.windows.size >= MAX_KEYS) this.evictOne();
      window = { failures: 0, resetAt: now, inFlight: 0, waiting: [] };
      this.windows.set(key, window);
    }
    return window;
  }

  /** The oldest key nobody is waiting on: dropping one with waiters would strand them. */
  private evictOne(): void {
    for (const [key, window] of this.windows) {
      if (window.inFlight === 0 && window.waiting.length === 0) {
        this.windows.delete(key);
        return;
      }
    }
  }

  /** An attempt on this key is over: whoever waits looks again. */
  private end(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    if (window.inFlight > 0) window.inFlight--;
    for (const wake of window.waiting.splice(0)) wake();
  }

  private prune(now = Date.now()): void {
    for (const [key, window] of this.windows) {
      if (window.inFlight === 0 && window.waiting.length === 0 && (window.failures === 0 || window.resetAt <= now)) this.windows.delete(key);
    }
  }
}

const pairKey = (usernameKey: string, ip: string) => `u\n${usernameKey}\n${ip}`;
const ipKey = (ip: string) => `a\n${ip}`;
