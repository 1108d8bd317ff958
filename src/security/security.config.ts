import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSlice } from '../config/config-slice';
import { ConfigError, EnvReader, isWeakSecret } from '../config/env-reader';

export type JwtAlg = 'HS256' | 'RS256' | 'ES256';

/** The tokens this server signs, and the keys it signs them with. */
export interface JwtConfig {
  /** What new tokens are signed with. */
  alg: JwtAlg;
  /** With RS256/ES256: HS256 tokens are still accepted (while a deployment moves off the shared secret). Always true with HS256. */
  acceptHs256: boolean;
  secret: Buffer;
  /** Encrypts the stored private keys of RS256/ES256. */
  keyEncryptionSecret: Buffer;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  /** The longest a minted token may live; with the access tokens' lifetime, how long a revocation must be kept. */
  mintMaxTtlSeconds: number;
  /** How long a rotated-in key is published before it signs: longer than instances take to reload keys (10 s). */
  keyActivationDelaySeconds: number;
}

export interface PasswordConfig {
  bcryptRounds: number;
}

export interface RevocationConfig {
  /** How often the revocation log is read for other instances' revocations; 0 turns it off. */
  pollMs: number;
  /** redis://… : revocations are also sent to every instance by publish/subscribe. */
  redisUrl?: string;
}

export const jwtConfig = configSlice<JwtConfig>('jwt', (read, core) => {
  const production = core.nodeEnv === 'production';
  const secret = readJwtSecret(read, core.dataDir, production);
  const alg = read.oneOf('JWT_ALG', ['HS256', 'RS256', 'ES256'] as const, 'HS256');
  return {
    alg,
    // Once moved to a key pair, the shared secret must stop being a signing key.
    acceptHs256: read.boolean('JWT_ACCEPT_HS256', false) || alg === 'HS256',
    secret,
    keyEncryptionSecret: readKeyEncryptionSecret(read, secret, production),
    issuer: read.string('JWT_ISSUER', 'identity-server'),
    audience: read.string('JWT_AUDIENCE', 'identity-server'),
    accessTtlSeconds: read.duration('ACCESS_TOKEN_TTL', 15 * 60, 10, 24 * 3600),
    mintMaxTtlSeconds: read.duration('MINT_MAX_TTL', 30 * 86400, 60, 366 * 86400),
    keyActivationDelaySeconds: read.duration('KEY_ACTIVATION_DELAY', 30, 0, 3600),
  };
});

export const passwordConfig = configSlice<PasswordConfig>('password', (read) => ({
  bcryptRounds: read.integer('BCRYPT_ROUNDS', 12, 4, 17),
}));

export const revocationConfig = configSlice<RevocationConfig>('revocation', (read) => ({
  pollMs: read.integer('REVOCATION_POLL_MS', 500, 0, 60_000),
  redisUrl: readRedisUrl(read),
}));

function readJwtSecret(read: EnvReader, dataDir: string, production: boolean): Buffer {
  const given = read.optionalString('JWT_SECRET');
  if (given !== undefined) {
    if (Buffer.byteLength(given) < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 bytes');
    if (production && isWeakSecret(given, 32)) throw new ConfigError('JWT_SECRET', 'looks like a placeholder; use a random value in production');
    return Buffer.from(given);
  }
  if (production) throw new ConfigError('JWT_SECRET', 'is required in production (at least 32 random bytes)');
  return developmentSecret(dataDir);
}

/** Production needs its own; elsewhere it is derived from the JWT secret, so development needs no setup. */
function readKeyEncryptionSecret(read: EnvReader, jwtSecret: Buffer, production: boolean): Buffer {
  const given = read.optionalString('KEY_ENCRYPTION_SECRET');
  if (given !== undefined) {
    if (Buffer.byteLength(given) < 32) throw new ConfigError('KEY_ENCRYPTION_SECRET', 'must be at least 32 bytes');
    return Buffer.from(given);
  }
  if (production && read.optionalString('JWT_ALG') && read.optionalString('JWT_ALG') !== 'HS256') {
    throw new ConfigError('KEY_ENCRYPTION_SECRET', 'is required in production with JWT_ALG RS256 or ES256');
  }
  return Buffer.concat([Buffer.from('key-encryption:'), jwtSecret]);
}

/** Outside production a missing secret is generated once and kept, so restarts keep sessions valid. */
function developmentSecret(dataDir: string): Buffer {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 43) return Buffer.from(kept);
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return Buffer.from(secret);
}

function readRedisUrl(read: EnvReader): string | undefined {
  const url = read.optionalString('REDIS_URL');
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL (expected redis://[:password@]host:6379[/db])');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  if (!parsed.hostname) throw new ConfigError('REDIS_URL', 'has no host');
  return url;
}
