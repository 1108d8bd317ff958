import { configSlice } from '../config/config-slice';
import type { EnvReader } from '../config/env-reader';

/** A count per key within a window, from the first counted attempt; 0 points turns the rule off. */
export interface LimitRule {
  points: number;
  windowSeconds: number;
}

/** The per-address rules of the routes other than the password logins (those are in auth.config.ts). */
export type AddressRuleName =
  'refresh' | 'ticket' | 'tokenLogin' | 'wechatLogin' | 'passwordChange' | 'registration' | 'codeSendPerIp' | 'codeSendPerDestination';

export interface LimitsConfig {
  /** Failed password or code logins of one account, from addresses that never logged into it, per window. */
  account: LimitRule;
  /** How long an address that logged into an account stays known to it (exempt from `account`). */
  knownAddressSeconds: number;
  rules: Record<AddressRuleName, LimitRule>;
}

function rule(read: EnvReader, name: string, points: number, windowSeconds: number): LimitRule {
  return {
    points: read.integer(`${name}_MAX`, points, 0, 1_000_000),
    windowSeconds: read.duration(`${name}_WINDOW`, windowSeconds, 1, 7 * 24 * 3600),
  };
}

export const limitsConfig = configSlice<LimitsConfig>('limits', (read) => ({
  account: {
    points: read.integer('LOGIN_MAX_FAILURES_PER_ACCOUNT', 50, 0, 1_000_000),
    windowSeconds: read.duration('LOGIN_ACCOUNT_WINDOW', 3600, 1, 7 * 24 * 3600),
  },
  knownAddressSeconds: read.duration('LOGIN_KNOWN_ADDRESS_TTL', 90 * 24 * 3600, 60, 3650 * 24 * 3600),
  rules: {
    refresh: rule(read, 'LIMIT_REFRESH_FAILURES', 30, 15 * 60),
    ticket: rule(read, 'LIMIT_TICKET_FAILURES', 30, 15 * 60),
    tokenLogin: rule(read, 'LIMIT_TOKEN_LOGIN_FAILURES', 30, 15 * 60),
    wechatLogin: rule(read, 'LIMIT_WECHAT_LOGIN_FAILURES', 30, 15 * 60),
    passwordChange: rule(read, 'LIMIT_PASSWORD_CHANGE_FAILURES', 10, 15 * 60),
    registration: rule(read, 'LIMIT_REGISTRATION', 10, 3600),
    codeSendPerIp: rule(read, 'LIMIT_CODE_SEND_PER_IP', 20, 3600),
    codeSendPerDestination: rule(read, 'LIMIT_CODE_SEND_PER_DESTINATION', 5, 3600),
  },
}));
