import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { WechatConfig, wechatConfig } from './wechat.config';

/** Who WeChat says the code belongs to. The session_key it also sends is dropped at once: nothing here needs it. */
export interface WechatIdentity {
  appid: string;
  openid: string;
  /** Only when the mini-program is bound to an open-platform account. */
  unionid?: string;
}

/** What a jscode2session answer says, read without trusting it. */
export type Jscode2SessionAnswer =
  { kind: 'identity'; openid: string; unionid?: string } | { kind: 'refused'; errcode: number } | { kind: 'garbage'; reason: string };

/** openid and unionid are 28-character base64url strings today; a little room, nothing that could be markup or SQL. */
const WECHAT_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** An answer is some 150 bytes; anything much larger is not WeChat's. */
const MAX_ANSWER_BYTES = 16 * 1024;
/** WeChat's "system busy, try later". */
const ERRCODE_BUSY = -1;
/** The app's calls per minute are used up. */
const ERRCODE_QUOTA = 45011;
/** Our own credentials are wrong or missing: no client can do anything about it. */
const ERRCODES_MISCONFIGURED = new Set([40013, 40125, 41002, 41004, 40164]);

/** Reads a jscode2session body (WeChat may send it as text/plain, so the content type is not trusted either way). */
export function readJscode2SessionAnswer(text: string): Jscode2SessionAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'garbage', reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'garbage', reason: 'not a JSON object' };
  const answer = parsed as Record<string, unknown>;
  if (answer.errcode !== undefined && answer.errcode !== 0) {
    return Number.isInteger(answer.errcode) ? { kind: 'refused', errcode: answer.errcode as number } : { kind: 'garbage', reason: 'errcode is not a number' };
  }
  if (typeof answer.openid !== 'string' || !WECHAT_ID.test(answer.openid)) return { kind: 'garbage', reason: 'no valid openid' };
  if (answer.unionid !== undefined && answer.unionid !== null && answer.unionid !== '') {
    if (typeof answer.unionid !== 'string' || !WECHAT_ID.test(answer.unionid)) return { kind: 'garbage', reason: 'invalid unionid' };
    return { kind: 'identity', openid: answer.openid, unionid: answer.unionid };
  }
  return { kind: 'identity', openid: answer.openid };
}

/** The body as text, refused beyond `limit` bytes; the request's abort signal also bounds how long this takes. */
async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** WeChat's `auth.code2Session`: a mini-program's wx.login code traded for the user's openid (and unionid). */
@Injectable()
export class Jscode2SessionClient {
  private readonly logger = new Logger('WeChat');

  constructor(@Inject(wechatConfig.token) private readonly config: WechatConfig) {}

  /**
   * The identity behind `code`. Refusals: 401 for a code WeChat rejects or an answer that makes no sense,
   * 429 when WeChat throttles the app, 503 when WeChat cannot be reached in time, is busy, or our credentials
   * are wrong (logged: only the operator can fix it) or missing.
   */
  async exchange(code: string): Promise<WechatIdentity> {
    const credentials = this.config.credentials;
    if (!credentials) throw new AppException('error.wechatNotConfigured');
    const url = new URL(`${this.config.apiBase}/sns/jscode2session`);
    url.search = new URLSearchParams({ appid: credentials.appid, secret: credentials.secret, js_code: code, grant_type: 'authorization_code' }).toString();

    let status: number;
    let text: string | undefined;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.config.timeoutMs) });
      status = response.status;
      text = await readLimited(response, MAX_ANSWER_BYTES);
    } catch (error) {
      // The URL carries the secret: only the error's name and message are logged, never the request.
      const reason =
        (error as Error).name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : `${(error as Error).name}: ${(error as Error).message}`;
      this.logger.warn(`jscode2session failed: ${reason}`);
      throw new AppException('error.wechatUnavailable');
    }
    if (status >= 500 || status === 429) {
      this.logger.warn(`jscode2session answered HTTP ${status}`);
      throw new AppException('error.wechatUnavailable');
    }
    // The body is never logged: a real answer holds the session_key.
    const answer =
      status === 200 && text !== undefined
        ? readJscode2SessionAnswer(text)
        : ({ kind: 'garbage', reason: text === undefined ? 'answer too large' : `HTTP ${status}` } as const);
    switch (answer.kind) {
      case 'identity':
        return { appid: credentials.appid, openid: answer.openid, ...(answer.unionid ? { unionid: answer.unionid } : {}) };
      case 'garbage':
        this.logger.warn(`jscode2session answered something unreadable (${answer.reason})`);
        throw new AppException('error.wechatAnswerInvalid');
      case 'refused':
        if (answer.errcode === ERRCODE_BUSY) throw new AppException('error.wechatUnavailable');
        if (answer.errcode === ERRCODE_QUOTA) throw new AppException('error.wechatThrottled', { retryAfter: 60 });
        if (ERRCODES_MISCONFIGURED.has(answer.errcode)) {
          this.logger.error(`jscode2session refused our credentials (errcode ${answer.errcode}): check WECHAT_APPID and WECHAT_SECRET`);
          throw new AppException('error.wechatUnavailable');
        }
        throw new AppException('error.wechatCodeInvalid');
    }
  }
}
