import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ClientInfo } from '../auth/auth.service';
import { Session } from '../session/entities/session.entity';
import { AppException } from '../common/app.exception';
import { Transactions } from '../database/transactions';
import { assertCanGrant, heldScopes } from '../security/grants';
import { actorIdOf, Principal, userIdOf } from '../security/principal';
import { JwtConfig, jwtConfig } from '../security/security.config';
import { TokenService } from '../security/token.service';
import { expiresAtSeconds, GenerateJwtDto, PersonalTokenDto } from './dto/mint.dto';

const DEFAULT_LIFETIME_SECONDS = 3600;

export interface MintedToken {
  /** The jti, and the id of the session row that records it. */
  id: string;
  token: string;
}

/**
 * Mints tokens: for any subject (generateJwt) or for the caller itself
 * (getJwt, a personal access token). Each is recorded as a session of type
 * minted or personal, so it can be searched and revoked like a login.
 */
@Injectable()
export class MintService {
  constructor(
    private readonly transactions: Transactions,
    private readonly tokens: TokenService,
    @Inject(jwtConfig.token) private readonly config: JwtConfig,
  ) {}

  generate(caller: Principal, input: GenerateJwtDto, client: ClientInfo): Promise<MintedToken> {
    return this.mint(caller, input, client, { type: 'minted', subject: input.subject });
  }

  personal(caller: Principal, input: PersonalTokenDto, client: ClientInfo): Promise<MintedToken> {
    const userId = userIdOf(caller);
    if (userId === undefined) throw new AppException('error.notAUser');
    return this.mint(caller, input, client, { type: 'personal', subject: String(userId), userId, username: caller.username });
  }

  private async mint(
    caller: Principal,
    input: PersonalTokenDto & Partial<Pick<GenerateJwtDto, 'issuer' | 'jwtId'>>,
    client: ClientInfo,
    target: { type: 'minted' | 'personal'; subject: string; userId?: number; username?: string },
  ): Promise<MintedToken> {
    const scopes = [...new Set(input.authorities ?? caller.scope)].sort();
    const now = Date.now();
    const nowSeconds = Math.floor(now / 1000);
    const expiresAt = expiresAtSeconds(input.expiresAt) ?? nowSeconds + Math.min(DEFAULT_LIFETIME_SECONDS, this.config.mintMaxTtlSeconds);
    if (expiresAt <= nowSeconds) throw new AppException('error.expiryInPast');
    if (expiresAt > nowSeconds + this.config.mintMaxTtlSeconds) throw new AppException('error.expiryTooFar', { maxSeconds: this.config.mintMaxTtlSeconds });

    const id = randomUUID();
    const audience = input.audience ?? this.config.audience;
    const mintedBy = actorIdOf(caller);
    await this.transactions.run(async (manager) => {
      assertCanGrant(await heldScopes(manager, caller), scopes);
      await manager.getRepository(Session).insert({
        id,
        userId: target.userId ?? null,
        type: target.type,
        ip: client.ip,
        userAgent: client.userAgent,
        rotation: 0,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt: new Date(expiresAt * 1000),
        subject: target.subject,
        audience,
        scopes: JSON.stringify(scopes),
        mintedBy,
      });
    });
    const token = this.tokens.signMintedToken(
      {
        id,
        subject: target.subject,
        audience,
        scopes,
        expiresAt,
        username: target.username,
        actor: target.type === 'minted' && mintedBy !== null ? String(mintedBy) : undefined,
      },
      now,
    );
    return { id, token };
  }
}
