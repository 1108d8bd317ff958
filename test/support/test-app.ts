import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/app.config';

export interface TestDatabase {
  name: 'sqlite' | 'mysql';
  /** A MySQL server of the suite's own (mysql://root@host:port) instead of the runner's shared one. */
  serverUrl?: string;
}

/** SQLite always; MySQL/MariaDB as well when the test runner provides a server. */
export function testDatabases(): TestDatabase[] {
  return process.env.TEST_DATABASE_URL ? [{ name: 'sqlite' }, { name: 'mysql' }] : [{ name: 'sqlite' }];
}

export const ADMIN_PASSWORD = 'Admin-Pass-For-Tests-1';

/**
 * The per-address and per-account limits off (test/limits.e2e-spec.ts tests them): for suites whose many
 * registrations, code sends and failures from 127.0.0.1 test something else.
 */
export const NO_ADDRESS_LIMITS: Record<string, string> = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '0',
  LIMIT_REFRESH_FAILURES_MAX: '0',
  LIMIT_TICKET_FAILURES_MAX: '0',
  LIMIT_TOKEN_LOGIN_FAILURES_MAX: '0',
  LIMIT_WECHAT_LOGIN_FAILURES_MAX: '0',
  LIMIT_PASSWORD_CHANGE_FAILURES_MAX: '0',
  LIMIT_REGISTRATION_MAX: '0',
  LIMIT_CODE_SEND_PER_IP_MAX: '0',
  LIMIT_CODE_SEND_PER_DESTINATION_MAX: '0',
};

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  http: () => ReturnType<typeof request>;
  /** Starts another application on the same database (a restart, or a second instance). */
  restart(overrides?: Record<string, string>): Promise<TestApp>;
  close(): Promise<void>;
}

/** Anything requests can be sent to: an application in this process, a server process, a proxy in front of several. */
export type HttpTarget = Pick<TestApp, 'http'>;

/** A fresh database of a test's own: the variables that point a server at it, and how to remove it. */
export interface Storage {
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function createStorage(database: TestDatabase): Promise<Storage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'identity-test-'));
  if (database.name === 'sqlite') {
    return {
      env: { DB_TYPE: 'sqlite', DATA_DIR: dataDir, SQLITE_PATH: join(dataDir, 'test.sqlite') },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const server = new URL(database.serverUrl ?? process.env.TEST_DATABASE_URL!);
  const name = `identity_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
  });
  // The server's default character set (latin1 on a bare MariaDB): the migration must cope with it.
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    env: { DB_TYPE: 'mysql', DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    drop: async () => {
      const connection = await mysql.createConnection({
        host: server.hostname,
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
      });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The real application on a fresh database of its own, listening on a free loopback port. */
export async function startTestApp(database: TestDatabase, overrides: Record<string, string> = {}): Promise<TestApp> {
  const storage = await createStorage(database);
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ADMIN_PASSWORD,
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: 'silent',
    COOKIE_SECURE: 'true',
    // GET /metrics is then in every suite's route table, attacked and checked with the other routes; a suite
    // turns it off with METRICS_TOKEN: ''.
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
    ...storage.env,
  };
  const open: NestFastifyApplication[] = [];

  const launch = async (env: Record<string, string>): Promise<TestApp> => {
    const config = loadConfig(env);
    const app = await createApp(config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    open.push(app);
    return {
      app,
      config,
      dataSource: app.get(DataSource),
      http: () => request(app.getHttpServer()),
      restart: (more = {}) => launch({ ...env, ...more }),
      close: async () => {
        for (const running of open.splice(0)) await running.close();
        await storage.drop();
      },
    };
  };
  return launch({ ...baseEnv, ...overrides });
}
