import { configSlice } from '../config/config-slice';

/** Sessions opened at login: how long they live, how their refresh is bound to the client, the refresh cookie. */
export interface SessionConfig {
  refreshTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  /** The refresh must come from the login's address as well as its User-Agent. */
  bindIp: boolean;
  cookieSecure: boolean;
}

export interface LoginThrottleConfig {
  /** Failed logins of one username from one address per window before 429; 0 turns it off. */
  maxFailures: number;
  /** Failed logins from one address, whatever the username, per window before 429; 0 turns it off. */
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export const sessionConfig = configSlice<SessionConfig>('session', (read) => ({
  refreshTtlSeconds: read.duration('REFRESH_TOKEN_TTL', 14 * 24 * 3600, 60, 365 * 24 * 3600),
  refreshReuseGraceSeconds: read.duration('REFRESH_REUSE_GRACE', 5, 0, 60),
  bindIp: read.boolean('SESSION_BIND_IP', true),
  cookieSecure: read.boolean('COOKIE_SECURE', true),
}));

export const loginThrottleConfig = configSlice<LoginThrottleConfig>('loginThrottle', (read) => ({
  maxFailures: read.integer('LOGIN_MAX_FAILURES', 5, 0, 1000),
  maxFailuresPerIp: read.integer('LOGIN_MAX_FAILURES_PER_IP', 100, 0, 100_000),
  windowSeconds: read.duration('LOGIN_LOCKOUT', 15 * 60, 1, 24 * 3600),
}));
