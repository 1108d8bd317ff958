import { createVerifier } from 'fast-jwt';
import { createHash } from 'node:crypto';
import type { PartnerAlgorithm } from './entities/sso-partner.entity';
import { SsoRefusal } from './sso-refusal';

/** Far more than a token naming one user needs; longer ones are refused before any parsing. */
export const MAX_USER_TOKEN_LENGTH = 8192;
/** Partner clocks run a little ahead of ours at most this much. */
export const CLOCK_LEEWAY_MS = 60_000;
/** Header parameters that would make a verifier fetch or trust keys named by the token itself, or rules it does not know. */
const REFUSED_HEADER_PARAMS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256', 'crit'];
/** `time` at or above this is milliseconds (1973 in ms), below it seconds (year 5138 in s). */
const MILLISECONDS_FROM = 1e11;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const DIGITS = /^[0-9]{1,16}$/;

/** A partner token taken apart, not yet trusted. */
export interface PartnerToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** header.payload as sent: what the signature covers. */
  signingInput: string;
}

/** The key a partner's tokens are checked with: the secret's bytes (HS256) or a public key as SPKI PEM. */
export interface PartnerKey {
  algorithm: PartnerAlgorithm;
  key: Buffer | string;
}

/** Splits a token and reads its header and claims; refuses anything that is not a compact JWS of JSON objects. */
export function parsePartnerToken(token: unknown): PartnerToken {
  if (token === undefined || token === '') throw new SsoRefusal('missing_token');
  if (typeof token !== 'string') throw new SsoRefusal('malformed');
  if (token.length > MAX_USER_TOKEN_LENGTH) throw new SsoRefusal('token_too_long');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) throw new SsoRefusal('malformed');
  const header = decodeSegment(parts[0]);
  const claims = decodeSegment(parts[1]);
  if (!header || !claims) throw new SsoRefusal('malformed');
  if (REFUSED_HEADER_PARAMS.some((param) => param in header)) throw new SsoRefusal('forbidden_header');
  return { header, claims, signingInput: `${parts[0]}.${parts[1]}` };
}

/**
 * The signature, checked with the partner's key and its algorithm only: the header must name exactly that
 * algorithm, so `none` and an HS256 token made with an RSA partner's public key as the secret both fail.
 */
export function verifyPartnerSignature(token: string, parsed: PartnerToken, key: PartnerKey): void {
  if (parsed.header.alg !== key.algorithm) throw new SsoRefusal('wrong_algorithm');
  const verify = createVerifier({
    key: key.key,
    algorithms: [key.algorithm],
    // Times are checked by checkFreshness, by the rules of the partner document (`time`).
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: false,
  });
  try {
    verify(token);
  } catch {
    throw new SsoRefusal('bad_signature');
  }
}

/**
 * The token must have been made within maxTokenAge and not more than a minute ahead of our clock: `time`
 * (the document's claim, milliseconds or seconds since the epoch), or `iat`; `exp` and `nbf` are honoured
 * when present. A token with only `exp` may not reach further ahead than maxTokenAge.
 */
export function checkFreshness(claims: Record<string, unknown>, nowMs: number, maxTokenAgeSeconds: number): void {
  const time = claims.time === undefined ? undefined : epochMs(claims.time, 'auto');
  const iat = claims.iat === undefined ? undefined : epochMs(claims.iat, 'seconds');
  const exp = claims.exp === undefined ? undefined : epochMs(claims.exp, 'seconds');
  const nbf = claims.nbf === undefined ? undefined : epochMs(claims.nbf, 'seconds');
  if (time === null || iat === null || exp === null || nbf === null) throw new SsoRefusal('bad_time');
  if (time === undefined && iat === undefined && exp === undefined) throw new SsoRefusal('no_time');
  const maxAgeMs = maxTokenAgeSeconds * 1000;
  for (const issued of [time, iat]) {
    if (issued === undefined) continue;
    if (issued > nowMs + CLOCK_LEEWAY_MS) throw new SsoRefusal('future');
    if (issued < nowMs - maxAgeMs) throw new SsoRefusal('expired');
  }
  if (exp !== undefined && exp <= nowMs) throw new SsoRefusal('expired');
  if (exp !== undefined && time === undefined && iat === undefined && exp > nowMs + maxAgeMs + CLOCK_LEEWAY_MS) throw new SsoRefusal('future');
  if (nbf !== undefined && nbf > nowMs + CLOCK_LEEWAY_MS) throw new SsoRefusal('future');
}

/** Whom the token names: `payload.email` as the document builds it, else a top-level `email` or `sub`. */
export function subjectOf(claims: Record<string, unknown>): string {
  const inner = claims.payload;
  const fromPayload = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>).email : undefined;
  const candidate = fromPayload ?? claims.email ?? claims.sub;
  const subject = typeof candidate === 'string' ? candidate.trim() : typeof candidate === 'number' && Number.isSafeInteger(candidate) ? String(candidate) : '';
  if (subject.length === 0 || subject.length > 254) throw new SsoRefusal('no_subject');
  return subject;
}

/** The issuer the token names, if any; it picks the partner, before the signature can be checked. */
export function issuerOf(claims: Record<string, unknown>): string | undefined {
  const iss = claims.iss;
  if (iss === undefined) return undefined;
  if (typeof iss !== 'string' || iss.length === 0 || iss.length > 255) throw new SsoRefusal('malformed');
  return iss;
}

/**
 * What makes a token the same token for the replay cache: its jti within the partner, else its signed
 * content. Not the whole token: an ECDSA signature can be altered into another valid one.
 */
export function replayKey(partnerId: number, parsed: PartnerToken): string {
  const jti = parsed.claims.jti;
  const identity = typeof jti === 'string' && jti.length > 0 && jti.length <= 255 ? `jti\n${jti}` : `content\n${parsed.signingInput}`;
  return createHash('sha256').update(`${partnerId}\n${identity}`).digest('hex');
}

/** An epoch instant in ms; null when the claim is not a non-negative number (digits in a string are read too). */
function epochMs(value: unknown, unit: 'auto' | 'seconds'): number | null {
  const number = typeof value === 'number' ? value : typeof value === 'string' && DIGITS.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(number) || number < 0 || number > Number.MAX_SAFE_INTEGER) return null;
  return Math.floor(unit === 'auto' && number >= MILLISECONDS_FROM ? number : number * 1000);
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
