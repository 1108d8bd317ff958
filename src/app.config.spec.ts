import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './app.config';
import { ConfigError } from './config/env-reader';

const SECRET = 'k3J9-vQ2xLm8ZpR4tW7yB1nC5dF0gH6j';
const dataDir = () => mkdtempSync(join(tmpdir(), 'config-spec-'));

function expectConfigError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig({ DATA_DIR: dataDir(), ...env }),
    (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(`Invalid configuration: ${variable} `),
  );
}

describe('loadConfig', () => {
  it('has working defaults: SQLite, port 8080, 15 minute access tokens, 14 day sessions', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    assert.equal(config.port, 8080);
    assert.equal(config.database.type, 'sqlite');
    assert.equal(config.database.migrationsRun, true);
    assert.equal(config.jwt.accessTtlSeconds, 900);
    assert.equal(config.session.refreshTtlSeconds, 14 * 86400);
    assert.equal(config.password.bcryptRounds, 12);
    assert.equal(config.session.cookieSecure, true);
    assert.equal(config.trustProxy, false);
    assert.equal(config.bodyLimitBytes, 100 * 1024);
  });

  it('takes CORS_ORIGINS as exact origins only: no wildcard (credentials are allowed), no path', () => {
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir(), CORS_ORIGINS: 'https://Console.Example.com/, http://localhost:5173' }).corsOrigins, [
      'https://console.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'https://*.example.com', 'null', 'console.example.com', 'https://console.example.com/app', 'ftp://example.com']) {
      expectConfigError({ CORS_ORIGINS: bad }, 'CORS_ORIGINS');
    }
  });

  it('generates a development JWT secret once and keeps it under the data directory', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    assert.ok(first.jwt.secret.length >= 32);
    assert.deepEqual(first.jwt.secret, second.jwt.secret);
    assert.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), first.jwt.secret.toString());
  });

  it('reads durations with units', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '2d' });
    assert.equal(config.jwt.accessTtlSeconds, 300);
    assert.equal(config.session.refreshTtlSeconds, 172800);
  });

  it('accepts HS256 tokens with JWT_ALG=RS256|ES256 only while JWT_ACCEPT_HS256=true; HS256 itself always', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).jwt.acceptHs256, true);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), JWT_ALG: 'HS256', JWT_ACCEPT_HS256: 'false' }).jwt.acceptHs256, true);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), JWT_ALG: 'RS256' }).jwt.acceptHs256, false);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), JWT_ALG: 'ES256', JWT_ACCEPT_HS256: 'true' }).jwt.acceptHs256, true);
    expectConfigError({ JWT_ALG: 'RS256', JWT_ACCEPT_HS256: 'sometimes' }, 'JWT_ACCEPT_HS256');
    expectConfigError({ JWT_ACCEPT_HS256: 'sometimes' }, 'JWT_ACCEPT_HS256');
  });

  it('names the variable when a value is bad', () => {
    expectConfigError({ PORT: 'eighty' }, 'PORT');
    expectConfigError({ PORT: '70000' }, 'PORT');
    expectConfigError({ DB_TYPE: 'postgres' }, 'DB_TYPE');
    expectConfigError({ DB_TYPE: 'mysql' }, 'DATABASE_URL');
    expectConfigError({ DB_TYPE: 'mysql', DATABASE_URL: 'postgres://x@h/db' }, 'DATABASE_URL');
    expectConfigError({ DB_TYPE: 'mysql', DATABASE_URL: 'mysql://x@h' }, 'DATABASE_URL');
    expectConfigError({ JWT_SECRET: 'short' }, 'JWT_SECRET');
    expectConfigError({ BCRYPT_ROUNDS: '3' }, 'BCRYPT_ROUNDS');
    expectConfigError({ ACCESS_TOKEN_TTL: '15 minutes' }, 'ACCESS_TOKEN_TTL');
    expectConfigError({ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE');
    expectConfigError({ TRUST_PROXY: 'everyone' }, 'TRUST_PROXY');
    expectConfigError({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    expectConfigError({ REDIS_URL: 'localhost:6379' }, 'REDIS_URL');
    expectConfigError({ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL');
  });

  it('refuses default or weak secrets in production', () => {
    expectConfigError({ NODE_ENV: 'production' }, 'JWT_SECRET');
    expectConfigError({ NODE_ENV: 'production', JWT_SECRET: 'change-me-change-me-change-me-change-me' }, 'JWT_SECRET');
    expectConfigError({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) }, 'JWT_SECRET');
    expectConfigError({ NODE_ENV: 'production', JWT_SECRET: SECRET, ADMIN_PASSWORD: 'admin' }, 'ADMIN_PASSWORD');
    const config = loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', JWT_SECRET: SECRET, ADMIN_PASSWORD: 'Str0ng-And-Long-Enough' });
    assert.equal(config.nodeEnv, 'production');
  });

  it('takes MySQL from DATABASE_URL', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), DB_TYPE: 'mysql', DATABASE_URL: 'mysql://app:pw@db:3306/identity' });
    assert.equal(config.database.type, 'mysql');
    assert.equal(config.database.url, 'mysql://app:pw@db:3306/identity');
  });

  it('keeps a rotated-out gateway ticket key for TICKET_ROTATION_GRACE, a day by default', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).ticket.rotationGraceSeconds, 86400);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), TICKET_ROTATION_GRACE: '2h' }).ticket.rotationGraceSeconds, 7200);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), TICKET_ROTATION_GRACE: '0' }).ticket.rotationGraceSeconds, 0);
    expectConfigError({ TICKET_ROTATION_GRACE: '31d' }, 'TICKET_ROTATION_GRACE');
    expectConfigError({ TICKET_ROTATION_GRACE: 'a day' }, 'TICKET_ROTATION_GRACE');
  });

  it('takes Redis for revocations from REDIS_URL, and does without it by default', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).revocation.redisUrl, undefined);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), REDIS_URL: 'rediss://:pw@cache:6380/2' }).revocation.redisUrl, 'rediss://:pw@cache:6380/2');
  });
});
