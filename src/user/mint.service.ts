import { Inject, Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { Principal, userIdOf } from '../security/principal';
import { JwtConfig, jwtConfig } from '../security/security.config';
import type { ClientInfo } from '../session/client-info';
import { MintedToken, MintRequest, SessionIssuer } from '../session/session-issuer.service';
import { expiresAtSeconds, GenerateJwtDto, PersonalTokenDto } from './dto/mint.dto';

const DEFAULT_LIFETIME_SECONDS = 3600;

/**
 * Mints tokens: for any subject (generateJwt) or for the caller itself
 * (getJwt, a personal access token). Each is recorded as a session of type
 * minted or personal, so it can be searched and revoked like a login.
 */
@Injectable()
export class MintService {
  constructor(
    private readonly sessions: SessionIssuer,
    @Inject(jwtConfig.token) private readonly config: JwtConfig,
  ) {}

  generate(caller: Principal, input: GenerateJwtDto, client: ClientInfo): Promise<MintedToken> {
    return this.mint(caller, input, client, { type: 'minted', subject: input.subject });
  }

  personal(caller: Principal, input: PersonalTokenDto, client: ClientInfo): Promise<MintedToken> {
    const userId = userIdOf(caller);
    if (userId === undefined) throw new AppException('error.notAUser');
    return this.mint(caller, input, client, { type: 'personal', subject: String(userId), user: { id: userId, username: caller.username } });
  }

  private mint(
    caller: Principal,
    input: PersonalTokenDto & Partial<Pick<GenerateJwtDto, 'issuer' | 'jwtId'>>,
    client: ClientInfo,
    target: Pick<MintRequest, 'type' | 'subject' | 'user'>,
  ): Promise<MintedToken> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiresAt = expiresAtSeconds(input.expiresAt) ?? nowSeconds + Math.min(DEFAULT_LIFETIME_SECONDS, this.config.mintMaxTtlSeconds);
    if (expiresAt <= nowSeconds) throw new AppException('error.expiryInPast');
    if (expiresAt > nowSeconds + this.config.mintMaxTtlSeconds) throw new AppException('error.expiryTooFar', { maxSeconds: this.config.mintMaxTtlSeconds });
    return this.sessions.open({
      ...target,
      minter: caller,
      audience: input.audience ?? this.config.audience,
      scopes: input.authorities ?? caller.scope,
      expiresAt,
      client,
    });
  }
}
