import mysql from 'mysql2/promise';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Response } from 'supertest';
import type { Test } from 'supertest';
import { as, assertEnvelope, checkToken, login } from './support/auth-helpers';
import { startTestApp, TestApp } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';
const POOL_SIZE = 4;

/** The runner's server library (ESM, outside the compiled tree). */
interface ThrowawayServer {
  start(): Promise<string | null>;
  stop(): Promise<void>;
  killSync(): void;
  readonly proc: { pid?: number } | null;
}

async function createThrowawayServer(): Promise<ThrowawayServer> {
  // From .test-build/test/ back to the checkout's scripts/.
  const library = join(__dirname, '..', '..', 'scripts', 'lib', 'mysql-server.mjs');
  const module = (await import(pathToFileURL(library).href)) as { createThrowawayServer(options: { tmpPrefix: string }): ThrowawayServer };
  return module.createThrowawayServer({ tmpPrefix: 'idsrv-stall-db-' });
}

interface Timed {
  ms: number;
  response?: Response;
}

/** The request's answer and how long it took; no answer after limitMs (plus a margin) counts as none. */
async function timed(request: Test, limitMs: number): Promise<Timed> {
  const started = Date.now();
  try {
    const response = await request.timeout(limitMs + 3000);
    return { ms: Date.now() - started, response };
  } catch {
    return { ms: Date.now() - started };
  }
}

function assertUnavailable(answer: Timed, limitMs: number, what: string): void {
  assert.ok(answer.response, `${what}: no answer after ${answer.ms} ms`);
  assert.equal(answer.response.status, 503, `${what}: ${answer.response.status} ${JSON.stringify(answer.response.body)}`);
  assert.ok(answer.ms < limitMs, `${what}: 503 after ${answer.ms} ms, the limit is ${limitMs} ms`);
  assertEnvelope(answer.response.body, 503);
  assert.equal(answer.response.headers['retry-after'], '5', `${what}: Retry-After`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// SQLite (better-sqlite3) runs in the server's own process and thread: it cannot stall while the server goes on.
describe('a stalled MySQL database (frozen with SIGSTOP)', () => {
  let server: ThrowawayServer | undefined;
  let serverUrl: string | null = null;
  let frozen = false;

  const freeze = () => {
    process.kill(server!.proc!.pid!, 'SIGSTOP');
    frozen = true;
  };
  const thaw = () => {
    if (frozen) process.kill(server!.proc!.pid!, 'SIGCONT');
    frozen = false;
  };

  before(async () => {
    // Its own server: freezing the runner's shared one would stall the suites running beside this one.
    server = await createThrowawayServer();
    // A worker that dies before after() must not leave a frozen server behind.
    process.once('exit', () => server?.killSync());
    serverUrl = await server.start();
  });
  after(async () => {
    thaw();
    await server?.stop();
  });

  it('answers 503 in the envelope within 5 s (/health and /health/ready within 2 s, /test and /health/live unaffected) and recovers when it thaws, losing nothing acknowledged', async (context) => {
    if (!serverUrl) return context.skip('no mariadbd/mysqld installed (Debian: apt-get install mariadb-server)');
    const t: TestApp = await startTestApp({ name: 'mysql', serverUrl }, { DB_POOL_SIZE: String(POOL_SIZE), READ_CACHE_TTL_MS: '0' });
    try {
      const session = await login(t);
      const admin = as(t, session.accessToken);
      const username = uniqueName();
      const registered = await t.http().post('/user').send({ username, password: PASSWORD });
      assert.equal(registered.status, 201);
      assert.equal((await admin.get('/user/1')).status, 200);
      // The pool holds several open connections, so the first request below runs on one of them.
      const runners = Array.from({ length: POOL_SIZE - 1 }, () => t.dataSource.createQueryRunner());
      await Promise.all(runners.map((runner) => runner.connect()));
      await Promise.all(runners.map((runner) => runner.release()));

      freeze();
      try {
        const test = await timed(checkToken(t, session.accessToken), 500);
        assert.equal(test.response?.status, 204, 'GET /test needs no database');
        assert.ok(test.ms < 500, `GET /test took ${test.ms} ms`);

        assertUnavailable(await timed(t.http().get('/health'), 2000), 2000, 'GET /health');
        assertUnavailable(await timed(t.http().get('/health/ready'), 2000), 2000, 'GET /health/ready');
        const live = await timed(t.http().get('/health/live'), 500);
        assert.equal(live.response?.status, 200, 'GET /health/live needs no database');
        assert.ok(live.ms < 500, `GET /health/live took ${live.ms} ms`);

        // One request: a connection the pool already holds, stuck mid-query.
        assertUnavailable(await timed(admin.get('/user/1'), 5000), 5000, 'GET /user/1 on an open connection');

        // More requests than the pool holds: new connections, and waits for a free one; /health beside them.
        const burst = [
          ...Array.from({ length: POOL_SIZE + 3 }, () => timed(admin.get('/user/1'), 5000)),
          timed(t.http().post('/auth/login').send({ username, password: PASSWORD }), 5000),
          timed(t.http().post('/user').send({ username: uniqueName(), password: PASSWORD }), 5000),
        ];
        await sleep(200);
        assertUnavailable(await timed(t.http().get('/health'), 2000), 2000, 'GET /health while the pool is exhausted');
        const answers = await Promise.all(burst);
        answers.forEach((answer, index) => assertUnavailable(answer, 5000, `request ${index} of the burst`));
        assert.equal((await timed(checkToken(t, session.accessToken), 500)).response?.status, 204);
      } finally {
        thaw();
      }

      const deadline = Date.now() + 10_000;
      for (;;) {
        const health = await t.http().get('/health');
        if (health.status === 200) break;
        assert.ok(Date.now() < deadline, `GET /health still ${health.status} 10 s after the thaw`);
        await sleep(100);
      }
      assert.equal((await admin.get('/user/1')).status, 200);
      assert.equal((await admin.get(`/user/${registered.body.data.id}`)).body.data.username, username, 'acknowledged before the freeze, kept');
      await login(t, username, PASSWORD);

      // Writes through every pooled connection after the thaw are committed: none was left inside a transaction.
      const later = Array.from({ length: POOL_SIZE * 2 }, () => uniqueName());
      const created = await Promise.all(later.map((name) => t.http().post('/user').send({ username: name, password: PASSWORD })));
      assert.deepEqual(
        created.map((response) => response.status),
        later.map(() => 201),
      );
      const observer = await mysql.createConnection(t.config.database.url!);
      try {
        const [rows] = await observer.query<mysql.RowDataPacket[]>('SELECT username FROM sys_user WHERE username IN (?)', [[username, ...later]]);
        assert.deepEqual(rows.map((row) => row.username).sort(), [username, ...later].sort());
      } finally {
        await observer.end();
      }
    } finally {
      thaw();
      await t.close();
    }
  });
});
