import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac, randomUUID, timingSafeEqual, verify as verifySignature } from 'node:crypto';
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

/** The header jsonwebtoken writes for HS256; seeing exactly it spares a JSON parse per request. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const MAX_TOKEN_LENGTH = 8192;
const SIGNATURE_SEGMENT = /^[A-Za-z0-9_-]{43}$/;
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Verified tokens remembered, oldest forgotten first: a client sends the same token many times. */
const VERIFIED_CACHE_SIZE = 10_000;
const ACCEPTED_ALGS = new Set(['HS256', 'RS256', 'ES256']);
/** Clocks of issuers and of this instance differ a little: iat and nbf may lie this far ahead. */
const CLOCK_LEEWAY_SECONDS = 60;
/** Header parameters that would make a verifier fetch or trust keys named by the token itself. */
const REFUSED_HEADER_PARAMS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'];

/**
 * Issues and verifies access tokens (JWT, HS256). Verification is on every
 * request's path, so it is done here with one HMAC and no library call:
 * the algorithm is pinned, and exp, nbf, iat, iss and aud are checked.
 */
@Injectable()
export class TokenService {
  private readonly secret: Buffer;
  private readonly verified = new Map<string, Principal>();

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys?: KeyService,
  ) {
    this.secret = config.jwt.secret;
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

  /** The claims of a valid, unexpired token of ours; undefined for anything else. */
  verifyAccessToken(token: string, now = Date.now()): Principal | undefined {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.exp > Math.floor(now / 1000)) return cached;
      this.verified.delete(token);
      return undefined;
    }
    const claims = this.verifySignedToken(token, now);
    if (claims) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    return claims;
  }

  private verifySignedToken(token: string, now: number): Principal | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) !== -1) return undefined;

    const headerSegment = token.slice(0, firstDot);
    const signed = token.slice(0, secondDot);
    const signatureSegment = token.slice(secondDot + 1);
    if (headerSegment === HS256_HEADER) {
      if (!this.validHmac(signed, signatureSegment)) return undefined;
    } else {
      const header = this.acceptableHeader(headerSegment);
      if (!header) return undefined;
      if (header.alg === 'HS256' ? !this.validHmac(signed, signatureSegment) : !this.validAsymmetric(header, signed, signatureSegment)) return undefined;
    }

    const claims = decodeSegment(token.slice(firstDot + 1, secondDot));
    if (!claims || !this.hasValidClaims(claims, Math.floor(now / 1000))) return undefined;
    // Shared by every request that presents this token: nobody may change it.
    Object.freeze(claims.scope);
    return Object.freeze(claims) as unknown as Principal;
  }

  /** HS256, or RS256/ES256 naming a kid; never a header that brings or points to its own key. */
  private acceptableHeader(segment: string): { alg: string; kid?: string } | undefined {
    const header = decodeSegment(segment);
    if (!header || !ACCEPTED_ALGS.has(header.alg as string)) return undefined;
    if (header.typ !== undefined && header.typ !== 'JWT') return undefined;
    if (REFUSED_HEADER_PARAMS.some((param) => param in header)) return undefined;
    if (header.alg !== 'HS256' && (typeof header.kid !== 'string' || header.kid.length > 64)) return undefined;
    return header as { alg: string; kid?: string };
  }

  private validHmac(signed: string, signatureSegment: string): boolean {
    if (!SIGNATURE_SEGMENT.test(signatureSegment)) return false;
    const expected = createHmac('sha256', this.secret).update(signed).digest();
    return timingSafeEqual(expected, Buffer.from(signatureSegment, 'base64url'));
  }

  /** The key is looked up by kid among our own keys only, and must be of the algorithm the header names. */
  private validAsymmetric(header: { alg: string; kid?: string }, signed: string, signatureSegment: string): boolean {
    if (!BASE64URL_SEGMENT.test(signatureSegment) || signatureSegment.length > 1024) return false;
    const key = this.keys?.verificationKey(header.kid!);
    if (!key || key.alg !== header.alg) return false;
    try {
      return verifySignature(
        'sha256',
        Buffer.from(signed),
        { key: key.publicKey, dsaEncoding: key.alg === 'ES256' ? 'ieee-p1363' : 'der' },
        Buffer.from(signatureSegment, 'base64url'),
      );
    } catch {
      return false;
    }
  }

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

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL_SEGMENT.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
