import mysql from 'mysql2/promise';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { NO_ADDRESS_LIMITS, TestApp, TestDatabase } from './test-app';

/** The compiled command line (dist/src/cli/main.js in a build; `npm run cli` runs it). */
const CLI = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
/** The audit log's actor for what the command line does. */
export const CLI_ACTOR = `cli:${userInfo().username}`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Registers hooks that make a directory without .env for the file's commands to run in (the command line reads
 * the .env of its working directory) and remove it afterwards; answers it, for use inside tests.
 */
export function cliWorkDir(): () => string {
  let dir: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'identity-cli-'));
  });
  after(() => rmSync(dir!, { recursive: true, force: true }));
  return () => {
    assert.ok(dir, 'cliWorkDir: used outside a test');
    return dir;
  };
}

/** Runs the compiled command line as an operator would, in `cwd`, with only PATH and `env` in its environment. */
export function runCli(env: Record<string, string>, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Exit status 0, nothing on standard error (what TypeORM prints goes to the log at debug level), and the lines of standard output. */
export function succeeded(result: CliResult): string[] {
  assert.equal(result.code, 0, `exit status, stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout.trimEnd().split('\n');
}

/** A failure told in one line on standard error, nothing on standard output, no stack. */
export function failed(result: CliResult, code: number, line: RegExp | string): void {
  assert.equal(result.code, code, `exit status, stdout: ${result.stdout} stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0], line);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

/** The settings of the suites' applications, given to the command line as well. */
export const CLI_SUITE_ENV = { ...NO_ADDRESS_LIMITS, JWT_ALG: 'RS256', KEY_ACTIVATION_DELAY: '0', REVOCATION_POLL_MS: '100' };

/** The settings the application runs with that the command line needs: the same database, secret and algorithm. */
export function cliEnvOf(t: TestApp, overrides: Record<string, string> = {}): Record<string, string> {
  const { database, jwt } = t.config;
  return {
    ...CLI_SUITE_ENV,
    NODE_ENV: 'test',
    DATA_DIR: t.config.dataDir,
    JWT_SECRET: jwt.secret.toString(),
    JWT_ALG: jwt.alg,
    KEY_ACTIVATION_DELAY: String(jwt.keyActivationDelaySeconds),
    BCRYPT_ROUNDS: String(t.config.password.bcryptRounds),
    // The routes (and so the OpenAPI document) depend on it: GET /metrics is one only with a token.
    ...(t.config.metrics.token !== undefined ? { METRICS_TOKEN: t.config.metrics.token } : {}),
    ...(database.type === 'mysql' ? { DB_TYPE: 'mysql', DATABASE_URL: database.url! } : { DB_TYPE: 'sqlite', SQLITE_PATH: database.sqlitePath }),
    ...overrides,
  };
}

/** A database no application has opened: its settings, and how to drop it. */
export async function freshDatabase(database: TestDatabase): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-cli-db-'));
  const base = { NODE_ENV: 'test', DATA_DIR: dir, BCRYPT_ROUNDS: '4', JWT_SECRET: randomBytes(48).toString('base64url') };
  if (database.name === 'sqlite') {
    return { env: { ...base, DB_TYPE: 'sqlite', SQLITE_PATH: join(dir, 'fresh.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const server = new URL(process.env.TEST_DATABASE_URL!);
  const name = `identity_cli_${process.pid}_${randomBytes(4).toString('hex')}`;
  const connect = () =>
    mysql.createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
    });
  const admin = await connect();
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    env: { ...base, DB_TYPE: 'mysql', DATABASE_URL: url.toString() },
    drop: async () => {
      const connection = await connect();
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
