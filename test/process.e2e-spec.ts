import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from './support/free-port';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<unknown>;
/** better-sqlite3 ships no types of its own: what these tests use of it. */
type SqliteDatabase = { prepare(sql: string): { get(...parameters: unknown[]): unknown }; close(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Sqlite = require('better-sqlite3') as new (file: string, options?: { readonly?: boolean }) => SqliteDatabase;

/** The bundled server (scripts/bundle.mjs, run by scripts/test.mjs), started the way `npm start` starts it. */
const MAIN = join(__dirname, '..', 'server.js');
/** The same server compiled, not bundled (dist/src/main.js in a build). */
const COMPILED = join(__dirname, '..', 'src', 'main.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  url: string;
}

async function start(env: Record<string, string>, main = MAIN): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), BCRYPT_ROUNDS: '4', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited, url: `http://127.0.0.1:${port}` };
}

async function waitUntilHealthy(server: Running): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(`${server.url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (server.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not become healthy:\n${server.output()}`);
}

/** A server on a data directory of its own, with its administrator's password, once it answers /health. */
async function startWithAdmin(dataDir: string, adminPassword: string, env: Record<string, string> = {}, main = MAIN): Promise<Running> {
  const server = await start({ DATA_DIR: dataDir, JWT_SECRET: randomBytes(48).toString('base64url'), ADMIN_PASSWORD: adminPassword, ...env }, main);
  await waitUntilHealthy(server);
  return server;
}

/** POST /auth/login as the administrator. */
function adminLogin(url: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: 'admin', password }),
  });
}

describe('the server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'identity-process-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops at start with one line naming a bad variable', async () => {
    const server = await start({ DATA_DIR: dataDir, ACCESS_TOKEN_TTL: 'forever' });
    assert.equal(await server.exited, 1);
    assert.equal(server.output().trim(), 'Invalid configuration: ACCESS_TOKEN_TTL must be a duration such as 900, 15m, 12h or 14d (got "forever")');
  });

  it('bundled, serves what the compiled server serves: the OpenAPI document, refusals, a session', async () => {
    const answers = async (main: string) => {
      const dir = mkdtempSync(join(dataDir, 'bundle-'));
      const server = await startWithAdmin(dir, 'Bundle-Admin-Pass-1', {}, main);
      try {
        const get = async (path: string, init?: RequestInit) => {
          const response = await fetch(`${server.url}${path}`, init);
          return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
        };
        const json = { 'content-type': 'application/json' };
        const login = await fetch(`${server.url}/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ username: 'admin', password: 'Bundle-Admin-Pass-1' }),
        });
        const token = login.headers.get('authorization') ?? '';
        return {
          openapi: await get('/docs-json'),
          docs: await get('/docs'),
          badInput: await get('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ username: 'admin', password: 1 }) }),
          badJson: await get('/auth/login', { method: 'POST', headers: json, body: '{"username":' }),
          notFound: await get('/no/such/route'),
          noToken: await get('/user/list'),
          login: login.status,
          info: JSON.parse((await get('/user/info', { headers: { authorization: token } })).body).data?.user?.username,
        };
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    };
    const [bundled, compiled] = [await answers(MAIN), await answers(COMPILED)];
    assert.equal(bundled.login, 200);
    assert.equal(bundled.info, 'admin');
    assert.equal(bundled.openapi.status, 200);
    assert.deepEqual(bundled, compiled);
  });

  it('generates the admin password once, logs it once, and shuts down gracefully on SIGTERM', async () => {
    const env = { DATA_DIR: dataDir, JWT_SECRET: randomBytes(48).toString('base64url') };
    const first = await start(env);
    await waitUntilHealthy(first);
    const password = /generated password (\S+)/.exec(first.output())?.[1];
    assert.ok(password, 'the generated password is in the log');
    const login = await adminLogin(first.url, password);
    assert.equal(login.status, 200);
    const refreshToken = login.headers.get('x-refresh-token')!;
    assert.ok(!first.output().includes(refreshToken), 'tokens are not logged');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = await start(env);
    await waitUntilHealthy(second);
    assert.doesNotMatch(second.output(), /generated password/);
    const again = await adminLogin(second.url, password);
    assert.equal(again.status, 200);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('answers in full every request it took while shutting down under load', async () => {
    // A database of its own: the admin of the test above has another password.
    const server = await startWithAdmin(join(dataDir, 'shutdown'), 'Shutdown-Admin-Pass-1', { READ_CACHE_TTL_MS: '0' });
    const login = await adminLogin(server.url, 'Shutdown-Admin-Pass-1');
    assert.equal(login.status, 200);
    const authorization = login.headers.get('authorization')!;
    // autocannon keeps 50 keep-alive connections busy and sends the next request as soon as an answer
    // arrives: the case where a request reaches a closing server on a connection it has not closed yet.
    const statuses: number[] = [];
    const load = autocannon({
      url: `${server.url}/role/list?pageNum=1&pageSize=10`,
      connections: 50,
      duration: 3,
      headers: { authorization },
      setupClient: (client: { on(event: 'response', listener: (status: number) => void): void }) => client.on('response', (status) => statuses.push(status)),
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    await load;
    assert.ok(statuses.length > 50, `${statuses.length} answers`);
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
      'every request that was answered was answered in full',
    );
    assert.doesNotMatch(server.output(), /"level":50/, 'no errors logged');
  });

  it('drains on SIGTERM: with DRAIN_DELAY, ready answers 503 while live and the API still answer, then it exits 0', async () => {
    const server = await startWithAdmin(join(dataDir, 'drain'), 'Drain-Admin-Pass-1', { DRAIN_DELAY: '2s' });
    const loginNow = () => adminLogin(server.url, 'Drain-Admin-Pass-1');
    const authorization = (await loginNow()).headers.get('authorization')!;
    assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));

    const ready = await fetch(`${server.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(((await ready.json()) as { data: unknown }).data, { status: 'draining' });
    assert.equal((await fetch(`${server.url}/health`)).status, 503, 'GET /health is the same readiness');
    assert.equal((await fetch(`${server.url}/health/live`)).status, 200, 'the process is sound: no restart');
    assert.equal((await fetch(`${server.url}/test`, { headers: { authorization } })).status, 204, 'requests are still served');
    assert.equal((await loginNow()).status, 200);
    assert.equal(server.child.exitCode, null, 'still running within the delay');

    assert.equal(await server.exited, 0);
    const took = Date.now() - signalledAt;
    assert.ok(took >= 2000 && took < 8000, `exited ${took} ms after SIGTERM, DRAIN_DELAY 2 s`);
    assert.doesNotMatch(server.output(), /"level":50/, 'no errors logged');
  });

  it('writes the audit entries of the requests it answered just before SIGTERM, then closes the database and exits 0', async () => {
    const dir = join(dataDir, 'drain-audit');
    const server = await startWithAdmin(dir, 'Audit-Admin-Pass-1');
    const userAgent = `drain-audit/${randomBytes(4).toString('hex')}`;
    // Answered within a few milliseconds of the signal: the queue, flushed every half second, still holds them.
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => adminLogin(server.url, 'Audit-Admin-Pass-1', { 'user-agent': userAgent }).then((response) => response.status)),
    );
    server.child.kill('SIGTERM');
    assert.deepEqual(statuses, Array(20).fill(200));
    assert.equal(await server.exited, 0);

    const database = new Sqlite(join(dir, 'identity.sqlite'), { readonly: true });
    try {
      const row = database.prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login' AND outcome = 'success' AND user_agent = ?`).get(userAgent) as {
        n: number;
      };
      assert.equal(row.n, 20, 'every login answered before the signal is in the audit log');
    } finally {
      database.close();
    }
    assert.doesNotMatch(server.output(), /could not be written|"level":50/);
  });
});
