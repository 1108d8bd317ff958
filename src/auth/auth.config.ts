import { configSlice } from '../config/config-slice';

export interface LoginThrottleConfig {
  /** Failed logins of one username from one address per window before 429; 0 turns it off. */
  maxFailures: number;
  /** Failed logins from one address, whatever the username, per window before 429; 0 turns it off. */
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export const loginThrottleConfig = configSlice<LoginThrottleConfig>('loginThrottle', (read) => ({
  maxFailures: read.integer('LOGIN_MAX_FAILURES', 5, 0, 1000),
  maxFailuresPerIp: read.integer('LOGIN_MAX_FAILURES_PER_IP', 100, 0, 100_000),
  windowSeconds: read.duration('LOGIN_LOCKOUT', 15 * 60, 1, 24 * 3600),
}));
