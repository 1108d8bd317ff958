import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { CompactJWSHeaderParameters, jwtVerify, JWTVerifyOptions } from 'jose';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { KeyService } from './key.service';
import type { Principal } from './principal';

export interface AccessTokenSubject {
  userId: number;
  username: string;
  sessionId: string;
  scopes: string[];
}

export interface MintedTokenClaims {
  /** jti and sid: the id of the session row that records the token. */
  id: string;
  subject: string;
  audience: string;
  scopes: string[];
  /** Unix seconds. */
  expiresAt: number;
  username?: string;
  /** The minting user's id, for the `act` claim. */
  actor?: string;
}

const MAX_TOKEN_LENGTH = 8192;
/** Verified tokens remembered, oldest forgotten first: a client sends the same token many times. */
const VERIFIED_CACHE_SIZE = 10_000;
/** Ours, looked up by kid; accepted whatever JWT_ALG is, so a deployment can move between them. */
const ASYMMETRIC_ALGS = ['RS256', 'ES256'];
/** Clocks of issuers and of this instance differ a little: iat and nbf may lie this far ahead. */
const CLOCK_LEEWAY_SECONDS = 60;
/** Header parameters that would make a verifier fetch or trust keys named by the token itself. */
const REFUSED_HEADER_PARAMS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'];

/**
 * Issues and verifies access tokens (JWT). Verification is on every request's
 * path: jose checks a token the first time it is seen (pinned algorithms, our
 * keys only, iss, aud, exp, nbf), and the bounded cache answers it afterwards
 * without waiting.
 */
@Injectable()
export class TokenService {
  private readonly secret: Buffer;
  private readonly hmacKey: KeyObject;
  private readonly verified = new Map<string, Principal>();
  private readonly verifyOptions: JWTVerifyOptions;

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys?: KeyService,
  ) {
    this.secret = config.jwt.secret;
    this.hmacKey = createSecretKey(config.jwt.secret);
    this.verifyOptions = {
      algorithms: config.jwt.acceptHs256 ? ['HS256', ...ASYMMETRIC_ALGS] : ASYMMETRIC_ALGS,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      // jose applies one tolerance to nbf and exp; exp gets none in hasValidClaims.
      clockTolerance: CLOCK_LEEWAY_SECONDS,
    };
  }

  get accessTtlSeconds(): number {
    return this.config.jwt.accessTtlSeconds;
  }

  /** `now` is when the session was opened or refreshed: a user-wide revocation after it ends this token. */
  signAccessToken(subject: AccessTokenSubject, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const claims: Principal = {
      jti: randomUUID(),
      iss: this.config.jwt.issuer,
      sub: String(subject.userId),
      aud: this.config.jwt.audience,
      iat,
      iat_ms: now,
      exp: iat + this.config.jwt.accessTtlSeconds,
      sid: subject.sessionId,
      scope: subject.scopes,
      username: subject.username,
    };
    return this.sign(claims);
  }

  /** A token for any subject and audience, minted by an administrator or for oneself. */
  signMintedToken(token: MintedTokenClaims, now = Date.now()): string {
    const claims: Principal = {
      jti: token.id,
      iss: this.config.jwt.issuer,
      sub: token.subject,
      aud: token.audience,
      iat: Math.floor(now / 1000),
      iat_ms: now,
      exp: token.expiresAt,
      sid: token.id,
      scope: token.scopes,
      ...(token.username !== undefined ? { username: token.username } : {}),
      ...(token.actor !== undefined ? { act: { sub: token.actor } } : {}),
    };
    return this.sign(claims);
  }

  /** HS256 with the shared secret, or the current RS256/ES256 key, named by its kid. */
  private sign(claims: Principal): string {
    const key = this.keys?.asymmetric ? this.keys.signingKey() : undefined;
    if (!key?.privateKey) return this.jwt.sign(claims, { secret: this.secret, algorithm: 'HS256' });
    return this.jwt.sign(claims, { privateKey: key.privateKey as unknown as string, algorithm: key.alg, keyid: key.kid });
  }

  /** The claims of a token verified before and not expired since: the guard's answer without waiting. */
  knownAccessToken(token: string, now = Date.now()): Principal | undefined {
    const cached = this.verified.get(token);
    if (!cached) return undefined;
    if (cached.exp > Math.floor(now / 1000)) return cached;
    this.verified.delete(token);
    return undefined;
  }

  /** The claims of a valid, unexpired token of ours; undefined for anything else. */
  async verifyAccessToken(token: string, now = Date.now()): Promise<Principal | undefined> {
    const known = this.knownAccessToken(token, now);
    if (known) return known;
    const claims = await this.verifySignedToken(token, now);
    if (claims) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    return claims;
  }

  private async verifySignedToken(token: string, now: number): Promise<Principal | undefined> {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.keyFor, { ...this.verifyOptions, currentDate: new Date(now) }));
    } catch {
      return undefined;
    }
    if (!this.hasValidClaims(claims, Math.floor(now / 1000))) return undefined;
    // Shared by every request that presents this token: nobody may change it.
    Object.freeze(claims.scope);
    return Object.freeze(claims) as unknown as Principal;
  }

  /**
   * The key a header may be verified with: the shared secret for HS256 (when accepted at all), else our
   * own key named by kid and of the header's algorithm; never a key the token brings or points to.
   * jose has already refused an algorithm outside the pinned list.
   */
  private readonly keyFor = (header: CompactJWSHeaderParameters): KeyObject => {
    if (header.typ !== undefined && header.typ !== 'JWT') throw new Error('unexpected typ');
    if (REFUSED_HEADER_PARAMS.some((param) => param in header)) throw new Error('key-carrying header');
    if (header.alg === 'HS256') return this.hmacKey;
    if (typeof header.kid !== 'string' || header.kid.length > 64) throw new Error('no usable kid');
    const key = this.keys?.verificationKey(header.kid);
    if (!key || key.alg !== header.alg) throw new Error('not one of our keys');
    return key.publicKey;
  };

  private hasValidClaims(claims: Record<string, unknown>, nowSeconds: number): boolean {
    const { exp, iat, iat_ms, nbf, iss, aud, sub, sid, scope, jti, username } = claims;
    if (typeof exp !== 'number' || exp <= nowSeconds) return false;
    if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_LEEWAY_SECONDS) return false;
    // Revocation compares it: it must say the same instant as iat.
    if (iat_ms !== undefined && (typeof iat_ms !== 'number' || Math.floor(iat_ms / 1000) !== iat)) return false;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + CLOCK_LEEWAY_SECONDS)) return false;
    if (iss !== this.config.jwt.issuer) return false;
    const audience = this.config.jwt.audience;
    if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) return false;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return false;
    if (username !== undefined && typeof username !== 'string') return false;
    return Array.isArray(scope) && scope.every((item) => typeof item === 'string');
  }
}
