import { Inject, Injectable } from '@nestjs/common';
import { Limit, limitKey, Limits } from '../security/limits';
import { LoginThrottleConfig, loginThrottleConfig } from './auth.config';

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
 * of wrong guesses on any number of instances gets no more checks than the limit. The price: concurrent
 * correct logins beyond the remaining points are refused too (429) until the ones in flight give theirs back.
 */
@Injectable()
export class LoginLimits {
  private readonly pair: Limit;
  private readonly address: Limit;
  private readonly account: Limit;

  constructor(
    private readonly limits: Limits,
    @Inject(loginThrottleConfig.token) config: LoginThrottleConfig,
  ) {
    const window = config.windowSeconds;
    this.pair = limits.limit('login-pair', { points: config.maxFailures, windowSeconds: window }, 'error.loginThrottled');
    this.address = limits.limit('login-ip', { points: config.maxFailuresPerIp, windowSeconds: window }, 'error.loginThrottled');
    this.account = limits.limit('login-account', limits.config.account, 'error.loginThrottled');
  }

  /** Before a password or code is checked: throws 429, with the seconds to wait, when this may not try now. */
  async begin(account: string, ip: string): Promise<LoginAttempt> {
    const pairKey = limitKey(account, ip);
    const ipKey = limitKey(ip);
    const accountKey = limitKey(account);
    const known = this.limits.config.account.points > 0 && (await this.limits.isKnownAddress(account, ip));
    const taken: Array<[Limit, string]> = [];
    const giveBack = () => Promise.all(taken.map(([limit, key]) => limit.giveBack(key)));
    try {
      for (const [limit, key] of [[this.pair, pairKey], [this.address, ipKey], ...(known ? [] : [[this.account, accountKey]])] as Array<[Limit, string]>) {
        await limit.take(key);
        taken.push([limit, key]);
      }
    } catch (error) {
      await giveBack();
      throw error;
    }
    return {
      failed: async () => undefined,
      succeeded: async () => {
        await Promise.all([
          this.pair.reset(pairKey),
          this.address.giveBack(ipKey),
          known ? undefined : this.account.giveBack(accountKey),
          this.limits.rememberAddress(account, ip),
        ]);
      },
      abandoned: async () => {
        await giveBack();
      },
    };
  }
}
