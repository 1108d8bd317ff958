import { configSlice } from '../config/config-slice';
import { ConfigError } from '../config/env-reader';

/** The api/v2 family: its sessions' lifetime, and how its verification codes are made and sent. */
export interface ApiV2Config {
  /** A session's lifetime from login: after it the token cannot be refreshed (the document's refresh_ttl). */
  refreshTtlSeconds: number;
  codeTtlSeconds: number;
  /** Sends to one address at most this often. */
  codeResendSeconds: number;
  /** Wrong tries a code survives; the next try fails, right or not. */
  codeMaxAttempts: number;
  /** smtp:// or smtps://, with the credentials in the URL; unset: no mail is sent (see `logCodes`). */
  smtpUrl?: string;
  mailFrom: string;
  /** http(s) URL a JSON `{phone, code, text}` is posted to; unset: no SMS is sent (see `logCodes`). */
  smsWebhookUrl?: string;
  /**
   * Outside production, codes that have no mail server or SMS webhook to go to are written to the log.
   * In production such a send answers 503 (and the start logs a warning): a deployment that sends no
   * mail, or no SMS, need not configure it.
   */
  logCodes: boolean;
}

function optionalUrl(name: string, value: string | undefined, protocols: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must be a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`);
  return value;
}

export const apiV2Config = configSlice<ApiV2Config>('apiV2', (read, core) => {
  const mailFrom = read.string('MAIL_FROM', 'no-reply@localhost');
  if (!/^[^\s@]+@[^\s@]+$/.test(mailFrom) && !/<[^\s@]+@[^\s@]+>$/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must be an email address');
  return {
    refreshTtlSeconds: read.duration('API_V2_REFRESH_TTL', 14 * 24 * 3600, 1, 365 * 24 * 3600),
    codeTtlSeconds: read.duration('VERIFY_CODE_TTL', 10 * 60, 1, 24 * 3600),
    codeResendSeconds: read.duration('VERIFY_CODE_RESEND', 60, 0, 3600),
    codeMaxAttempts: read.integer('VERIFY_CODE_MAX_ATTEMPTS', 5, 1, 100),
    smtpUrl: optionalUrl('SMTP_URL', read.optionalString('SMTP_URL'), ['smtp:', 'smtps:']),
    mailFrom,
    smsWebhookUrl: optionalUrl('SMS_WEBHOOK_URL', read.optionalString('SMS_WEBHOOK_URL'), ['http:', 'https:']),
    logCodes: core.nodeEnv !== 'production',
  };
});
