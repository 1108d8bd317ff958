import { createPublicKey, JsonWebKey, KeyObject, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { AppException } from '../common/app.exception';
import type { PartnerAlgorithm } from './entities/sso-partner.entity';

export const MIN_SECRET_BYTES = 32;
const MAX_SECRET_BYTES = 512;
const MIN_RSA_BITS = 2048;
const MAX_KEY_TEXT = 16 * 1024;

/** A fresh HS256 secret: 48 random bytes, base64url, so a partner can paste it as a string (its UTF-8 bytes are the key). */
export function newPartnerSecret(): string {
  return randomBytes(48).toString('base64url');
}

/** A shared secret an administrator brings: at least 32 bytes, as RFC 7518 asks of HS256 keys. */
export function checkPartnerSecret(secret: string): string {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) throw new AppException('error.ssoSecretTooShort');
  return secret;
}

/**
 * The public key an RS256 or ES256 partner signs for, from PEM (SPKI, PKCS#1 or a certificate) or a JWK
 * (an object, or its JSON text), as SPKI PEM. A private key is refused rather than stored, and so is a key
 * of the wrong kind: RSA below 2048 bits for RS256, anything but P-256 for ES256.
 */
export function partnerPublicKeyPem(algorithm: Exclude<PartnerAlgorithm, 'HS256'>, given: unknown): string {
  const invalid = () => new AppException('error.ssoPublicKeyInvalid');
  let key: KeyObject;
  try {
    key = publicKeyOf(given, algorithm, invalid);
  } catch (error) {
    if (error instanceof AppException) throw error;
    throw invalid();
  }
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    algorithm === 'RS256'
      ? key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS
      : key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1';
  if (!fits) throw invalid();
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

function publicKeyOf(given: unknown, algorithm: string, invalid: () => AppException): KeyObject {
  if (typeof given === 'string') {
    const text = given.trim();
    if (text.length === 0 || text.length > MAX_KEY_TEXT) throw invalid();
    if (text.startsWith('{')) return publicKeyOf(JSON.parse(text) as unknown, algorithm, invalid);
    // createPublicKey would derive the public half of a private key: refuse it, it should never have been sent.
    if (/PRIVATE KEY/.test(text) || !text.startsWith('-----BEGIN ')) throw invalid();
    return createPublicKey({ key: text, format: 'pem' });
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw invalid();
  const jwk = given as JsonWebKey & { alg?: unknown };
  if ('d' in jwk || jwk.kty === 'oct') throw invalid();
  if (jwk.alg !== undefined && jwk.alg !== algorithm) throw invalid();
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/**
 * Where a partner's users land: an absolute https URL, or http on this machine (a console in development).
 * No credentials in it; the sign-in adds its own query parameters.
 */
export function checkLandingUrl(value: string): string {
  const invalid = () => new AppException('error.ssoLandingUrl');
  // The URL parser drops tabs and line breaks silently: a URL that held them is not the one the partner meant.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid();
  }
  if (url.username || url.password || !url.hostname) throw invalid();
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url.href;
  throw invalid();
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
