import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { LessThan, MoreThan } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Transactions } from '../database/transactions';
import type { ClientInfo } from '../session/client-info';
import type { IssuedTokens } from '../session/session-issuer.service';
import { SessionConfig, sessionConfig } from '../session/session.config';
import { constantTimeEquals } from '../security/refresh-tokens';
import { SsoLoginCode } from './entities/sso-login-code.entity';

/** A code lives one minute: the landing page trades it as soon as it loads. */
export const LOGIN_CODE_TTL_MS = 60_000;
const CODE = /^[A-Za-z0-9_-]{43}$/;

const codeInvalid = () => new AppException('error.ssoCodeInvalid');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The tokens sealed under a key only the code gives: the row alone opens nothing. */
function sealingKey(code: string): Buffer {
  return Buffer.from(hkdfSync('sha256', code, Buffer.alloc(0), 'sso-login-code', 32));
}

function seal(tokens: IssuedTokens, code: string, codeHash: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(code), iv);
  cipher.setAAD(Buffer.from(codeHash));
  const body = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

function unseal(sealed: string, code: string, codeHash: string): IssuedTokens | undefined {
  try {
    const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(code), iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(codeHash));
    decipher.setAuthTag(tag);
    return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')) as IssuedTokens;
  } catch {
    return undefined;
  }
}

/**
 * One-time codes: a partner sign-in opens the session, keeps its tokens here under a code for a minute,
 * and redirects with the code; POST /auth/exchange trades it once, from the same browser, for the tokens.
 * Only the code's SHA-256 is stored.
 */
@Injectable()
export class LoginCodeStore {
  constructor(
    private readonly transactions: Transactions,
    @Inject(sessionConfig.token) private readonly session: SessionConfig,
  ) {}

  /** A new code for these tokens, to be traded by this client within a minute. */
  async issue(tokens: IssuedTokens, client: ClientInfo, now: Date): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const codeHash = sha256(code);
    await this.transactions.run((manager) =>
      manager.getRepository(SsoLoginCode).insert({
        codeHash,
        userId: tokens.userId,
        clientHash: this.clientHash(client),
        sealed: seal(tokens, code, codeHash),
        createdAt: now,
        expiresAt: new Date(now.getTime() + LOGIN_CODE_TTL_MS),
      }),
    );
    return code;
  }

  /**
   * The tokens of a current code, which is spent by it. Of two requests with one code exactly one wins:
   * the conditional delete of the row decides, by the rows it affected. Another client's attempt does
   * not spend the code.
   */
  async redeem(code: string, client: ClientInfo, now: Date): Promise<IssuedTokens> {
    if (!CODE.test(code)) throw codeInvalid();
    const codeHash = sha256(code);
    const row = await this.transactions.reader.getRepository(SsoLoginCode).findOneBy({ codeHash });
    if (!row || row.expiresAt <= now || !constantTimeEquals(row.clientHash, this.clientHash(client))) throw codeInvalid();
    const tokens = unseal(row.sealed, code, codeHash);
    if (!tokens) throw codeInvalid();
    const spent = await this.transactions.run((manager) => manager.getRepository(SsoLoginCode).delete({ codeHash, expiresAt: MoreThan(now) }));
    if (spent.affected !== 1) throw codeInvalid();
    const waited = Math.ceil((now.getTime() - row.createdAt.getTime()) / 1000);
    return { ...tokens, refreshTtlSeconds: Math.max(0, tokens.refreshTtlSeconds - waited) };
  }

  /** Removes codes nobody traded in time; answers how many. */
  async prune(now: Date): Promise<number> {
    const result = await this.transactions.run((manager) => manager.getRepository(SsoLoginCode).delete({ expiresAt: LessThan(now) }));
    return result.affected ?? 0;
  }

  /** The browser a code was issued to, as the session binds it: its User-Agent, and its address when SESSION_BIND_IP is on. */
  private clientHash(client: ClientInfo): string {
    return sha256(`${client.userAgent}\n${this.session.bindIp ? client.ip : ''}`);
  }
}
