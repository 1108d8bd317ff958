import { configSlice } from '../config/config-slice';

/** Sessions opened at login: how long they live, how their refresh is bound to the client, the refresh cookie. */
export interface SessionConfig {
  refreshTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  /** The refresh must come from the login's address as well as its User-Agent. */
  bindIp: boolean;
  cookieSecure: boolean;
}

export const sessionConfig = configSlice<SessionConfig>('session', (read) => ({
  refreshTtlSeconds: read.duration('REFRESH_TOKEN_TTL', 14 * 24 * 3600, 60, 365 * 24 * 3600),
  refreshReuseGraceSeconds: read.duration('REFRESH_REUSE_GRACE', 5, 0, 60),
  bindIp: read.boolean('SESSION_BIND_IP', true),
  cookieSecure: read.boolean('COOKIE_SECURE', true),
}));
