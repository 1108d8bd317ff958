import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type NodeEnv = 'development' | 'production' | 'test';
export type DbType = 'sqlite' | 'mysql';
export type Lang = 'zh' | 'en';

export interface DatabaseConfig {
  type: DbType;
  /** SQLite file (only for type sqlite). */
  sqlitePath: string;
  /** mysql://user:pass@host:port/db (only for type mysql). */
  url?: string;
  migrationsRun: boolean;
  poolSize: number;
  /** The longest a query may take before it fails (503); on SQLite, the wait for another process's lock. */
  queryTimeoutMs: number;
  /** MySQL: the longest a request waits for a pooled connection, a new one's connect included. */
  acquireTimeoutMs: number;
}

export type JwtAlg = 'HS256' | 'RS256' | 'ES256';

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
}

export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  jwt: JwtConfig;
  refreshTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  /** How long a rotated-in key is published before it signs: longer than instances take to reload keys (10 s). */
  keyActivationDelaySeconds: number;
  /** The longest a minted token may live. */
  mintMaxTtlSeconds: number;
  /** How often the revocation log is read for other instances' revocations; 0 turns it off. */
  revocationPollMs: number;
  /** How long GET /role/list pages and GET /user/{uid} answers are kept; 0 turns the cache off. */
  readCacheTtlMs: number;
  /** redis://… : revocations are also sent to every instance by publish/subscribe. */
  redisUrl?: string;
  bcryptRounds: number;
  loginThrottle: {
    /** Failed logins of one username from one address per window before 429; 0 turns it off. */
    maxFailures: number;
    /** Failed logins from one address, whatever the username, per window before 429; 0 turns it off. */
    maxFailuresPerIp: number;
    windowSeconds: number;
  };
  adminUsername: string;
  registrationEnabled: boolean;
  /** The role a self-registered user gets. */
  defaultRoleKey: string;
  adminPassword?: string;
  cookieSecure: boolean;
  corsOrigins: string[];
  sessionBindIp: boolean;
  trustProxy: boolean | number | string;
  bodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logRequests: boolean;
  docsEnabled: boolean;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Thrown for a missing or malformed setting; its message is the single line printed at start. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const PLACEHOLDER_SECRETS = [/change[-_ ]?me/i, /^secret$/i, /^(test|dev|example|default)/i, /^(.)\1+$/];

/** Reads and validates the environment once; nothing else in the app reads process.env. */
export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const dataDir = resolve(read.string('DATA_DIR', './data'));
  const dbType = read.oneOf('DB_TYPE', ['sqlite', 'mysql'] as const, 'sqlite');
  const databaseUrl = read.optionalString('DATABASE_URL');
  if (dbType === 'mysql') {
    if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'is required when DB_TYPE=mysql (mysql://user:pass@host:3306/db)');
    assertMysqlUrl(databaseUrl);
  }
  const sqliteFile = read.string('SQLITE_PATH', join(dataDir, 'identity.sqlite'));

  const production = nodeEnv === 'production';
  const jwtSecret = readJwtSecret(read, dataDir, production);
  const jwtAlg = read.oneOf('JWT_ALG', ['HS256', 'RS256', 'ES256'] as const, 'HS256');
  const adminPassword = read.optionalString('ADMIN_PASSWORD');
  if (production && adminPassword !== undefined && isWeakSecret(adminPassword, 12)) {
    throw new ConfigError('ADMIN_PASSWORD', 'is too weak for production (at least 12 characters, not a placeholder)');
  }
  const bodyLimitBytes = read.integer('BODY_LIMIT', 100 * 1024, 1024, 10 * 1024 * 1024);

  return {
    nodeEnv,
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 8080, 0, 65535),
    dataDir,
    database: {
      type: dbType,
      sqlitePath: sqliteFile === ':memory:' || isAbsolute(sqliteFile) ? sqliteFile : resolve(sqliteFile),
      url: databaseUrl,
      migrationsRun: read.boolean('MIGRATIONS_RUN', true),
      poolSize: read.integer('DB_POOL_SIZE', 10, 1, 500),
      // Together at most 5 s, so a stalled database is answered with 503 before clients give up.
      queryTimeoutMs: read.integer('DB_QUERY_TIMEOUT_MS', 3000, 100, 600_000),
      acquireTimeoutMs: read.integer('DB_ACQUIRE_TIMEOUT_MS', 2000, 100, 600_000),
    },
    jwt: {
      alg: jwtAlg,
      // Once moved to a key pair, the shared secret must stop being a signing key.
      acceptHs256: read.boolean('JWT_ACCEPT_HS256', false) || jwtAlg === 'HS256',
      secret: jwtSecret,
      keyEncryptionSecret: readKeyEncryptionSecret(read, jwtSecret, production),
      issuer: read.string('JWT_ISSUER', 'identity-server'),
      audience: read.string('JWT_AUDIENCE', 'identity-server'),
      accessTtlSeconds: read.duration('ACCESS_TOKEN_TTL', 15 * 60, 10, 24 * 3600),
    },
    refreshTtlSeconds: read.duration('REFRESH_TOKEN_TTL', 14 * 24 * 3600, 60, 365 * 24 * 3600),
    refreshReuseGraceSeconds: read.duration('REFRESH_REUSE_GRACE', 5, 0, 60),
    keyActivationDelaySeconds: read.duration('KEY_ACTIVATION_DELAY', 30, 0, 3600),
    mintMaxTtlSeconds: read.duration('MINT_MAX_TTL', 30 * 86400, 60, 366 * 86400),
    revocationPollMs: read.integer('REVOCATION_POLL_MS', 500, 0, 60_000),
    redisUrl: readRedisUrl(read),
    readCacheTtlMs: read.integer('READ_CACHE_TTL_MS', 1000, 0, 60_000),
    bcryptRounds: read.integer('BCRYPT_ROUNDS', 12, 4, 17),
    loginThrottle: {
      maxFailures: read.integer('LOGIN_MAX_FAILURES', 5, 0, 1000),
      maxFailuresPerIp: read.integer('LOGIN_MAX_FAILURES_PER_IP', 100, 0, 100_000),
      windowSeconds: read.duration('LOGIN_LOCKOUT', 15 * 60, 1, 24 * 3600),
    },
    adminUsername: read.string('ADMIN_USERNAME', 'admin'),
    registrationEnabled: read.boolean('REGISTRATION_ENABLED', true),
    defaultRoleKey: read.string('DEFAULT_ROLE_KEY', 'common'),
    adminPassword,
    cookieSecure: read.boolean('COOKIE_SECURE', true),
    corsOrigins: read.list('CORS_ORIGINS'),
    sessionBindIp: read.boolean('SESSION_BIND_IP', true),
    trustProxy: readTrustProxy(read),
    bodyLimitBytes,
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    logRequests: read.boolean('LOG_REQUESTS', false),
    docsEnabled: read.boolean('DOCS_ENABLED', true),
  };
}

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

function isWeakSecret(value: string, minLength: number): boolean {
  if (value.length < minLength) return true;
  if (new Set(value).size < 8) return true;
  return PLACEHOLDER_SECRETS.some((pattern) => pattern.test(value));
}

function assertMysqlUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected mysql://user:pass@host:3306/db)');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigError('DATABASE_URL', 'must start with mysql://');
  }
  if (!parsed.hostname) throw new ConfigError('DATABASE_URL', 'has no host');
  if (parsed.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'names no database (mysql://user:pass@host:3306/db)');
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

function readTrustProxy(read: EnvReader): boolean | number | string {
  const raw = read.optionalString('TRUST_PROXY');
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Fastify also takes a comma separated list of addresses or CIDR ranges.
  if (/^[0-9a-fA-F:.,/ ]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', 'must be true, false, a hop count, or addresses/CIDRs separated by commas');
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

class EnvReader {
  constructor(private readonly env: Env) {}

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false (got "${raw}")`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  }

  /** Seconds, or a number with a unit: 30s, 15m, 12h, 14d. */
  duration(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*([smhd]?)$/.exec(raw);
    if (!match) throw new ConfigError(name, `must be a duration such as 900, 15m, 12h or 14d (got "${raw}")`);
    const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
    if (seconds < min || seconds > max) throw new ConfigError(name, `must be between ${min}s and ${max}s (got ${seconds}s)`);
    return seconds;
  }

  list(name: string): string[] {
    const raw = this.optionalString(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
}
