import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { isDuplicateKey } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { SsoTokenUse } from './entities/sso-token-use.entity';
import { MAX_TOKEN_AGE_LIMIT_SECONDS } from './entities/sso-partner.entity';
import { CLOCK_LEEWAY_MS } from './partner-token';
import { SsoRefusal } from './sso-refusal';

/**
 * How long a used token is remembered: past it no partner's freshness rule can accept the token again,
 * whatever its maxTokenAge is changed to (it is capped), with a minute's leeway either side.
 */
const REMEMBER_MS = MAX_TOKEN_AGE_LIMIT_SECONDS * 1000 + 2 * CLOCK_LEEWAY_MS;

/** The replay cache: each partner token is accepted once. */
@Injectable()
export class TokenUseStore {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Records the token as used, or refuses it as a replay. The primary key decides: of two requests with
   * one token, on any number of instances, one insert succeeds and the other fails.
   */
  async use(partnerId: number, tokenKey: string, now: Date): Promise<void> {
    // A plain replay is answered without a failing insert (which the database driver logs); a race still ends at the key.
    if (await this.transactions.reader.getRepository(SsoTokenUse).existsBy({ tokenKey })) throw new SsoRefusal('replay', { partnerId });
    try {
      await this.transactions.run((manager) =>
        manager.getRepository(SsoTokenUse).insert({ tokenKey, partnerId, usedAt: now, expiresAt: new Date(now.getTime() + REMEMBER_MS) }),
      );
    } catch (error) {
      if (isDuplicateKey(error)) throw new SsoRefusal('replay', { partnerId });
      throw error;
    }
  }

  /** Forgets tokens that can no longer be accepted anyway; answers how many. */
  async prune(now: Date): Promise<number> {
    const result = await this.transactions.run((manager) => manager.getRepository(SsoTokenUse).delete({ expiresAt: LessThan(now) }));
    return result.affected ?? 0;
  }
}
