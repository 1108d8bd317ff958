import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomInt } from 'node:crypto';
import { EntityManager, IsNull, LessThan, LessThanOrEqual, MoreThan } from 'typeorm';
import { AppException } from '../common/app.exception';
import { isDuplicateKey } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { constantTimeEquals } from '../security/refresh-tokens';
import { JwtConfig, jwtConfig } from '../security/security.config';
import { ApiV2Config, apiV2Config } from './api-v2.config';
import { CodeSenders } from './code-senders';
import { VerifyChannel, VerifyCode } from './entities/verify-code.entity';

/** A code that matched, to be consumed in the transaction that acts on it. */
export interface CheckedCode {
  id: number;
  codeHash: string;
}

/**
 * Six-digit codes for the api/v2 family: stored as an HMAC, valid VERIFY_CODE_TTL (10 min), dead after
 * VERIFY_CODE_MAX_ATTEMPTS (5) wrong tries, sent to one address at most once per VERIFY_CODE_RESEND (60 s).
 * The limits are conditional updates, so concurrent requests cannot get past them.
 */
@Injectable()
export class VerifyCodeService {
  private readonly hmacKey: Buffer;

  constructor(
    private readonly transactions: Transactions,
    private readonly senders: CodeSenders,
    @Inject(apiV2Config.token) private readonly config: ApiV2Config,
    @Inject(jwtConfig.token) jwt: JwtConfig,
  ) {
    this.hmacKey = createHmac('sha256', jwt.secret).update('api-v2 verification codes').digest();
  }

  /** Makes, stores and sends a new code; 429 within the resend interval of the last send, 503 when it cannot be delivered. */
  async send(channel: VerifyChannel, destination: string): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const codeHash = this.hash(channel, destination, code);
    const now = new Date();
    const fresh = { codeHash, sentAt: now, expiresAt: new Date(now.getTime() + this.config.codeTtlSeconds * 1000), failedAttempts: 0, consumedAt: null };
    const resendAfter = new Date(now.getTime() - this.config.codeResendSeconds * 1000);
    // The address's row is replaced only if its last send is old enough; two requests at once cannot both do it.
    const replaced = await this.transactions.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(VerifyCode)
        .set(fresh)
        .where({ channel, destination, sentAt: LessThanOrEqual(resendAfter) })
        .execute();
      return result.affected === 1;
    });
    if (!replaced) {
      // A row that stayed is one sent too recently; without a row this is the address's first code (two at once: the unique key picks one).
      if (await this.transactions.reader.getRepository(VerifyCode).existsBy({ channel, destination })) throw await this.tooSoon(channel, destination, now);
      try {
        await this.transactions.run((manager) => manager.getRepository(VerifyCode).insert({ channel, destination, ...fresh }));
      } catch (error) {
        if (isDuplicateKey(error)) throw await this.tooSoon(channel, destination, now);
        throw error;
      }
    }
    if (await this.senders.of(channel).send(destination, code, Math.round(this.config.codeTtlSeconds / 60))) return;
    // Not delivered: the address may ask again at once.
    await this.transactions.run((manager) => manager.getRepository(VerifyCode).delete({ channel, destination, codeHash }));
    throw new AppException('error.verifyCodeUndeliverable');
  }

  /**
   * The code sent to this address, if `code` is it and it is still usable; undefined otherwise. A wrong
   * code counts a try, committed whatever the caller does next.
   */
  async check(channel: VerifyChannel, destination: string, code: string): Promise<CheckedCode | undefined> {
    const now = new Date();
    const row = await this.transactions.reader
      .getRepository(VerifyCode)
      .createQueryBuilder('code')
      .addSelect('code.codeHash')
      .where('code.channel = :channel AND code.destination = :destination', { channel, destination })
      .getOne();
    if (!row || row.consumedAt || row.expiresAt <= now || row.failedAttempts >= this.config.codeMaxAttempts) return undefined;
    if (constantTimeEquals(this.hash(channel, destination, code), row.codeHash)) return { id: row.id, codeHash: row.codeHash };
    await this.transactions.run((manager) =>
      manager
        .createQueryBuilder()
        .update(VerifyCode)
        .set({ failedAttempts: () => 'failed_attempts + 1' })
        .where({ id: row.id, codeHash: row.codeHash, failedAttempts: LessThan(this.config.codeMaxAttempts) })
        .execute(),
    );
    return undefined;
  }

  /** Uses the code up in the caller's transaction; false when another request used it first, or it died meanwhile. */
  async consume(manager: EntityManager, checked: CheckedCode): Promise<boolean> {
    const now = new Date();
    const result = await manager
      .createQueryBuilder()
      .update(VerifyCode)
      .set({ consumedAt: now })
      .where({
        id: checked.id,
        codeHash: checked.codeHash,
        consumedAt: IsNull(),
        expiresAt: MoreThan(now),
        failedAttempts: LessThan(this.config.codeMaxAttempts),
      })
      .execute();
    return result.affected === 1;
  }

  private hash(channel: VerifyChannel, destination: string, code: string): string {
    return createHmac('sha256', this.hmacKey).update(`${channel}\n${destination}\n${code}`).digest('hex');
  }

  private async tooSoon(channel: VerifyChannel, destination: string, now: Date): Promise<AppException> {
    const row = await this.transactions.reader.getRepository(VerifyCode).findOneBy({ channel, destination });
    const wait = row ? Math.ceil((row.sentAt.getTime() + this.config.codeResendSeconds * 1000 - now.getTime()) / 1000) : 1;
    // In a burst the winner's send may be dated after this request began: never more than the resend interval.
    return new AppException('error.verifyCodeTooSoon', { retryAfter: Math.min(this.config.codeResendSeconds, Math.max(1, wait)) });
  }
}
