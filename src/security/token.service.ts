import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Algorithm, createVerifier } from 'fast-jwt';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { KeyService } from './key.service';
import type { Principal } from './principal';
import { JwtConfig, jwtConfig } from './security.config';

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
/**
 * How much of a token's end (its signature) the cache is looked up by: hashing the whole token (some 500
 * characters, a new string on every request) cost more than the rest of the check. A hit counts only if the
 * whole token is the one that was verified.
 */
const VERIFIED_KEY_LENGTH = 32;

interface VerifiedToken {
  token: string;
  claims: Principal;
}
/** Ours, looked up by kid; accepted whatever JWT_ALG is, so a deployment can move between them. */
const ASYMMETRIC_ALGS = new Set(['RS256', 'ES256']);
/** The header jsonwebtoken writes for HS256; seeing exactly it spares a JSON parse per request. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** Clocks of issuers and of this instance differ a little: iat and nbf may lie this far ahead. */
const CLOCK_LEEWAY_SECONDS = 60;
/** Header parameters that would make a verifier fetch or trust keys named by the token itself. */
const REFUSED_HEADER_PARAMS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'];

type Verifier = (token: string) => Record<string, unknown>;

/**
 * Issues and verifies access tokens (JWT). Verification is on every request's
 * path, so it is synchronous: fast-jwt checks a token the first time it is seen
 * (one verifier per key, its algorithm pinned; iss, aud, required claims), our
 * own rules check the times and shapes, and the bounded cache answers the token
 * afterwards.
 */
@Injectable()
export class TokenService {
  /**
   * The secret as a key object, made once: given the bytes, jsonwebtoken first tries them as a private key
   * on every signature and catches the failure, which was a fifth of a refresh rotation's CPU.
   */
  private readonly signingSecret: KeyObject;
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly hs256Verifier?: Verifier;
  /** Keyed by our key object, so a key that is dropped from KeyService takes its verifier with it. */
  private readonly keyVerifiers = new WeakMap<KeyObject, Verifier>();

  constructor(
    private readonly jwt: JwtService,
    @Inject(jwtConfig.token) private readonly config: JwtConfig,
    private readonly keys?: KeyService,
  ) {
    this.signingSecret = createSecretKey(config.secret);
    if (config.acceptHs256) this.hs256Verifier = this.verifierFor('HS256', config.secret);
  }

  get accessTtlSeconds(): number {
    return this.config.accessTtlSeconds;
  }

  /** `now` is when the session was opened or refreshed: a user-wide revocation after it ends this token. */
  signAccessToken(subject: AccessTokenSubject, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const claims: Principal = {
      jti: randomUUID(),
      iss: this.config.issuer,
      sub: String(subject.userId),
      aud: this.config.audience,
      iat,
      iat_ms: now,
      exp: iat + this.config.accessTtlSeconds,
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
      iss: this.config.issuer,
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
    if (!key?.privateKey) return this.jwt.sign(claims, { secret: this.signingSecret as unknown as Buffer, algorithm: 'HS256' });
    return this.jwt.sign(claims, { privateKey: key.privateKey as unknown as string, algorithm: key.alg, keyid: key.kid });
  }

  /** The claims of a valid, unexpired token of ours; undefined for anything else. */
  verifyAccessToken(token: string, now = Date.now()): Principal | undefined {
    const key = token.slice(-VERIFIED_KEY_LENGTH);
    const cached = this.verified.get(key);
    if (cached?.token === token) {
      if (cached.claims.exp > Math.floor(now / 1000)) return cached.claims;
      this.verified.delete(key);
      return undefined;
    }
    const claims = this.verifySignedToken(token, now);
    if (claims) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, { token, claims });
    }
    return claims;
  }

  /**
   * The claims of a token of ours whose signature, issuer, audience and shapes are valid, expired or not:
   * for a refresh that takes the access token itself (api/v2), whose caller judges the expiry by its own
   * rule. Never cached, and never what the guard accepts.
   */
  verifyIgnoringExpiry(token: string, now = Date.now()): Principal | undefined {
    return this.verifySignedToken(token, now, false);
  }

  private verifySignedToken(token: string, now: number, checkExpiry = true): Principal | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const verify = this.verifierOf(token);
    if (!verify) return undefined;
    let claims: Record<string, unknown>;
    // fast-jwt refuses by throwing, and the refusal is thrown away: skipping its stack trace makes a
    // bogus token about twice as cheap to refuse. Synchronous, so nothing else runs with the limit at 0.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      claims = verify(token);
    } catch {
      return undefined;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    if (!this.hasValidClaims(claims, Math.floor(now / 1000), checkExpiry)) return undefined;
    // Shared by every request that presents this token: nobody may change it.
    Object.freeze(claims.scope);
    return Object.freeze(claims) as unknown as Principal;
  }

  /**
   * The verifier a token's header may be checked with: the shared secret's for HS256 (when accepted at
   * all), else the one of our own key named by kid and of the header's algorithm; never a key the token
   * brings or points to.
   */
  private verifierOf(token: string): Verifier | undefined {
    const firstDot = token.indexOf('.');
    if (firstDot <= 0) return undefined;
    const headerSegment = token.slice(0, firstDot);
    if (headerSegment === HS256_HEADER) return this.hs256Verifier;
    const header = decodeSegment(headerSegment);
    if (!header) return undefined;
    if (header.typ !== undefined && header.typ !== 'JWT') return undefined;
    if (REFUSED_HEADER_PARAMS.some((param) => param in header)) return undefined;
    if (header.alg === 'HS256') return this.hs256Verifier;
    if (!ASYMMETRIC_ALGS.has(header.alg as string)) return undefined;
    if (typeof header.kid !== 'string' || header.kid.length > 64) return undefined;
    const key = this.keys?.verificationKey(header.kid);
    if (!key || key.alg !== header.alg) return undefined;
    let verify = this.keyVerifiers.get(key.publicKey);
    if (!verify) {
      verify = this.verifierFor(key.alg, key.publicKey.export({ format: 'pem', type: 'spki' }));
      this.keyVerifiers.set(key.publicKey, verify);
    }
    return verify;
  }

  /**
   * One algorithm per verifier. Times are left to hasValidClaims: fast-jwt fixes its clock when the
   * verifier is made and gives exp the same leeway as nbf, where exp gets none here. Its own cache stays
   * off: `verified` above is the one cache, bounded, and hit only by the whole token. allowedIss/allowedAud
   * skip an absent claim, hence iss and aud among the required ones.
   */
  private verifierFor(alg: Algorithm, key: string | Buffer): Verifier {
    return createVerifier({
      key,
      algorithms: [alg],
      allowedIss: this.config.issuer,
      allowedAud: this.config.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'iss', 'aud'],
      ignoreExpiration: true,
      ignoreNotBefore: true,
      clockTolerance: 0,
      cache: false,
    }) as Verifier;
  }

  private hasValidClaims(claims: Record<string, unknown>, nowSeconds: number, checkExpiry: boolean): boolean {
    const { exp, iat, iat_ms, nbf, iss, aud, sub, sid, scope, jti, username } = claims;
    if (typeof exp !== 'number' || (checkExpiry && exp <= nowSeconds)) return false;
    if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_LEEWAY_SECONDS) return false;
    // Revocation compares it: it must say the same instant as iat.
    if (iat_ms !== undefined && (typeof iat_ms !== 'number' || Math.floor(iat_ms / 1000) !== iat)) return false;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + CLOCK_LEEWAY_SECONDS)) return false;
    if (iss !== this.config.issuer) return false;
    const audience = this.config.audience;
    if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) return false;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return false;
    if (username !== undefined && typeof username !== 'string') return false;
    return Array.isArray(scope) && scope.every((item) => typeof item === 'string');
  }
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
