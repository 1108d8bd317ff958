import mysql from 'mysql2/promise';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Response, Test } from 'supertest';
import { as, assertEnvelope, checkToken, login, LoggedIn, refresh } from './support/auth-helpers';
import { createPartner, documentClaims, signHs256, tokenLogin, userWithContacts } from './support/sso';
import { startTestApp, TestApp } from './support/test-app';
import { createTicket, publishedKids, uniqueGateway } from './support/tickets';
import { uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';
const LIMIT_MS = 5000;

/** The runner's server library (ESM, outside the compiled tree). */
interface ThrowawayServer {
  start(): Promise<string | null>;
  stop(): Promise<void>;
  killSync(): void;
  takeDown(signal: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  readonly proc: { pid?: number } | null;
}

async function createThrowawayServer(): Promise<ThrowawayServer> {
  // From .test-build/test/ back to the checkout's scripts/.
  const library = join(__dirname, '..', '..', 'scripts', 'lib', 'mysql-server.mjs');
  const module = (await import(pathToFileURL(library).href)) as { createThrowawayServer(options: { tmpPrefix: string }): ThrowawayServer };
  return module.createThrowawayServer({ tmpPrefix: 'idsrv-outage-db-' });
}

interface Timed {
  what: string;
  ms: number;
  response?: Response;
}

/** The answer and how long it took; none after LIMIT_MS plus a margin counts as none. */
async function timed(what: string, request: Test): Promise<Timed> {
  const started = Date.now();
  try {
    const response = await request.timeout(LIMIT_MS + 3000);
    return { what, ms: Date.now() - started, response };
  } catch {
    return { what, ms: Date.now() - started };
  }
}

function answered(answer: Timed, status: number): Response {
  assert.ok(answer.response, `${answer.what}: no answer after ${answer.ms} ms`);
  const { response } = answer;
  assert.equal(response.status, status, `${answer.what}: ${response.status} ${response.text.slice(0, 300)}`);
  assert.ok(answer.ms < LIMIT_MS, `${answer.what}: ${status} after ${answer.ms} ms, the limit is ${LIMIT_MS} ms`);
  return response;
}

/** 503 in the v1 envelope, with Retry-After. */
function assertV1Unavailable(answer: Timed): void {
  const response = answered(answer, 503);
  assertEnvelope(response.body, 503);
  assert.equal(response.headers['retry-after'], '5', `${answer.what}: Retry-After`);
}

/** api/v2 (document 002): `{message}` and nothing else. */
function assertV2Unavailable(answer: Timed): void {
  const response = answered(answer, 503);
  assert.deepEqual(Object.keys(response.body), ['message'], `${answer.what}: ${response.text}`);
  assert.equal(typeof response.body.message, 'string');
  assert.equal(response.headers['retry-after'], '5', `${answer.what}: Retry-After`);
}

/** The gateway-ticket family: `{code, errorCode, message}`. */
function assertTicketUnavailable(answer: Timed): void {
  const response = answered(answer, 503);
  assert.equal(response.body.code, 503, `${answer.what}: ${response.text}`);
  assert.equal(response.body.errorCode, 'service_unavailable');
  assert.equal(typeof response.body.message, 'string');
  assert.doesNotMatch(response.text, /stack|SELECT |INSERT /);
}

/** The partner sign-in: an HTML page, no redirect, no cookie. */
function assertSsoPageUnavailable(answer: Timed): void {
  const response = answered(answer, 503);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8', answer.what);
  assert.equal(response.headers.location, undefined, `${answer.what}: no redirect`);
  assert.equal(response.headers['set-cookie'], undefined, `${answer.what}: no cookie`);
  assert.doesNotMatch(response.text, /"code"|stack|SELECT|INSERT/);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until GET /health answers 200 again, by itself: nothing is restarted on the identity server's side. */
async function waitUntilHealthy(t: TestApp, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const health = await t.http().get('/health');
    if (health.status === 200) return Date.now() - started;
    assert.ok(Date.now() - started < withinMs, `GET /health still ${health.status} ${withinMs} ms after the database came back`);
    await sleep(100);
  }
}

/** Rows of a table matching a WHERE clause, counted on a connection of the test's own. */
async function countRows(t: TestApp, sql: string, parameters: unknown[]): Promise<number> {
  const observer = await mysql.createConnection(t.config.database.url!);
  try {
    const [rows] = await observer.query<mysql.RowDataPacket[]>(sql, parameters);
    return Number(rows[0].n);
  } finally {
    await observer.end();
  }
}

/** Until `check` answers true (written by the audit batch every half second), within the limit. */
async function eventually(what: string, check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what}: not within ${withinMs} ms`);
    await sleep(200);
  }
}

interface Fault {
  name: string;
  /** What the database does: frozen (a stall: connections stay open, nothing answers) or gone (connections refused). */
  begin(server: ThrowawayServer): Promise<void>;
  end(server: ThrowawayServer): Promise<void>;
}

let frozenPid: number | undefined;
const FAULTS: Fault[] = [
  {
    name: 'stalled (SIGSTOP)',
    begin: async (server) => {
      frozenPid = server.proc!.pid!;
      process.kill(frozenPid, 'SIGSTOP');
    },
    end: async () => {
      if (frozenPid) process.kill(frozenPid, 'SIGCONT');
      frozenPid = undefined;
    },
  },
  { name: 'killed (SIGKILL)', begin: (server) => server.takeDown('SIGKILL'), end: (server) => server.restart() },
  { name: 'shut down (SIGTERM)', begin: (server) => server.takeDown('SIGTERM'), end: (server) => server.restart() },
];

// SQLite (better-sqlite3) runs inside the server's process: it cannot be down while the server is up.
// The MySQL server is one of this suite's own: stopping the runner's shared one would break the suites beside it.
describe('the MySQL database stalled or down mid-run, under concurrent load', () => {
  let server: ThrowawayServer | undefined;
  let serverUrl: string | null = null;
  let t: TestApp | undefined;

  before(async () => {
    server = await createThrowawayServer();
    // A worker that dies before after() must not leave a frozen server behind.
    process.once('exit', () => server?.killSync());
    serverUrl = await server.start();
    if (serverUrl) t = await startTestApp({ name: 'mysql', serverUrl }, { DB_POOL_SIZE: '4', READ_CACHE_TTL_MS: '0' });
  });
  after(async () => {
    if (frozenPid) process.kill(frozenPid, 'SIGCONT');
    await t?.close();
    await server?.stop();
  });

  for (const fault of FAULTS) {
    describe(`the database ${fault.name}`, () => {
      it('answers 503 in each family’s shape within 5 s; the token check, /health/live and the JWKS keep working; /health says not ready; it recovers by itself, and failed refreshes leave their tokens valid', async (context) => {
        if (!serverUrl || !t) return context.skip('no mariadbd/mysqld installed (Debian: apt-get install mariadb-server)');
        const app = t;
        const adminSession = await login(app);
        const admin = as(app, adminSession.accessToken);
        const person = await userWithContacts(app, admin);
        const partner = await createPartner(admin);
        const gatewayId = uniqueGateway();
        const ticket = await createTicket(admin, { gatewayId, name: uniqueName('gw') });
        const kids = await publishedKids(app, gatewayId);
        const sessions: LoggedIn[] = [];
        for (let n = 0; n < 6; n++) sessions.push(await login(app, person.username, PASSWORD));
        const partnerToken = signHs256(partner.secret!, documentClaims(person.email));
        // A username only this test's failed logins carry, to find their audit entries.
        const loginName = uniqueName('outage');

        await fault.begin(server!);
        let loginsRefused = 0;
        try {
          const http = () => app.http();
          const burst = [
            ...Array.from({ length: 10 }, (_, n) => timed(`GET /user/{uid} #${n}`, admin.get(`/user/${person.id}`))),
            ...Array.from({ length: 5 }, (_, n) =>
              timed(`POST /auth/login #${n}`, http().post('/auth/login').send({ username: loginName, password: PASSWORD })),
            ),
            ...sessions.map((session, n) => timed(`POST /auth/session #${n}`, refresh(app, session.refreshToken))),
            ...Array.from({ length: 4 }, (_, n) =>
              timed(`POST /api/v2/auth/login #${n}`, http().post('/api/v2/auth/login').send({ login: loginName, password: PASSWORD })),
            ),
            ...Array.from({ length: 4 }, (_, n) => timed(`GET /v1/auth/{id} #${n}`, admin.get(`/v1/auth/${ticket.id}`))),
            ...Array.from({ length: 4 }, (_, n) => timed(`GET /account/tokenLogin.do #${n}`, tokenLogin(app, partnerToken))),
          ];
          // Beside the burst: what needs no database answers at once; readiness says no.
          await sleep(100);
          for (let n = 0; n < 3; n++) {
            const test = await timed('GET /test', checkToken(app, adminSession.accessToken));
            // 204, not 503: it asked nothing of the database.
            answered(test, 204);
            const live = answered(await timed('GET /health/live', http().get('/health/live')), 200);
            assert.equal(live.body.data.status, 'ok');
            const jwks = answered(await timed('GET /v1/auth/jwks', http().get(`/v1/auth/jwks?gatewayId=${gatewayId}`)), 200);
            assert.deepEqual((jwks.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort(), kids);
          }
          for (const path of ['/health', '/health/ready']) {
            const health = answered(await timed(`GET ${path}`, http().get(path)), 503);
            assertEnvelope(health.body, 503);
            assert.equal(health.body.data.database, 'down');
          }

          const answers = await Promise.all(burst);
          for (const answer of answers) {
            if (answer.what.startsWith('POST /api/v2')) assertV2Unavailable(answer);
            else if (answer.what.startsWith('GET /v1/auth/')) assertTicketUnavailable(answer);
            else if (answer.what.startsWith('GET /account/')) assertSsoPageUnavailable(answer);
            else assertV1Unavailable(answer);
            if (answer.what.includes('login')) loginsRefused++;
          }
          assert.equal((await timed('GET /test', checkToken(app, adminSession.accessToken))).response?.status, 204);
        } finally {
          await fault.end(server!);
        }

        await waitUntilHealthy(app, 20_000);
        assert.equal((await app.http().get('/health/ready')).status, 200);
        assert.equal((await admin.get(`/user/${person.id}`)).body.data.username, person.username);
        // Each refresh refused during the outage left its token as it was: it rotates now, once.
        for (const session of sessions) {
          const rotated = await refresh(app, session.refreshToken);
          assert.equal(rotated.status, 204, `the refresh token refused during the outage: ${rotated.status} ${JSON.stringify(rotated.body)}`);
        }
        // The sign-ins refused during the outage are on record, written once the database was back.
        await eventually(`the audit entries of ${loginsRefused} logins refused with 503`, async () => {
          const written = await countRows(app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login_failed' AND details LIKE ? AND details LIKE ?", [
            `%${loginName}%`,
            '%"status":503%',
          ]);
          assert.ok(written <= loginsRefused, `${written} entries for ${loginsRefused} logins`);
          return written === loginsRefused;
        });
        const signIns = await countRows(app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sso_refused' AND details LIKE '%\"status\":503%'", []);
        assert.ok(signIns >= 4, `the refused partner sign-ins are on record: ${signIns}`);
      });
    });
  }

  for (const fault of FAULTS) {
    describe(`acknowledged writes across an outage: the database ${fault.name} under load`, () => {
      it('stores every login answered 200 and every rotation answered 204, and a failed rotation leaves the old token valid', async (context) => {
        if (!serverUrl || !t) return context.skip('no mariadbd/mysqld installed (Debian: apt-get install mariadb-server)');
        const app = t;
        const username = uniqueName('acked');
        assert.equal((await app.http().post('/user').send({ username, password: PASSWORD })).status, 201);
        /** Per rotating client: the token it holds (the newest acknowledged one). */
        const holders: string[] = [];
        for (let n = 0; n < 8; n++) holders.push((await login(app, username, PASSWORD)).refreshToken);
        const acknowledgedLogins: string[] = [];
        const tally = { rotated: 0, rotationsRefused: 0, loginsRefused: 0, otherStatus: [] as string[] };
        let running = true;

        const rotating = holders.map(async (_, index) => {
          while (running) {
            const answer = await refresh(app, holders[index])
              .timeout(LIMIT_MS + 3000)
              .then(
                (response) => response,
                () => undefined,
              );
            const next = answer?.headers['x-refresh-token'];
            if (answer?.status === 204 && typeof next === 'string') {
              holders[index] = next;
              tally.rotated++;
            } else if (answer?.status === 503) tally.rotationsRefused++;
            else tally.otherStatus.push(`refresh ${answer?.status ?? 'no answer'} ${JSON.stringify(answer?.body)}`);
            await sleep(20);
          }
        });
        const logging = Array.from({ length: 3 }, async () => {
          while (running) {
            const answer = await app
              .http()
              .post('/auth/login')
              .set('User-Agent', 'identity-e2e/1.0')
              .send({ username, password: PASSWORD })
              .timeout(LIMIT_MS + 3000)
              .then(
                (response) => response,
                () => undefined,
              );
            if (answer?.status === 200) acknowledgedLogins.push(String(answer.headers['x-refresh-token']));
            else if (answer?.status === 503) tally.loginsRefused++;
            else tally.otherStatus.push(`login ${answer?.status ?? 'no answer'} ${JSON.stringify(answer?.body)}`);
            await sleep(20);
          }
        });

        try {
          await sleep(1000);
          await fault.begin(server!);
          // Longer than a query may take (DB_QUERY_TIMEOUT_MS, 3 s): what was sent to a frozen server has been answered 503.
          await sleep(4000);
          await fault.end(server!);
          await waitUntilHealthy(app, 20_000);
          await sleep(1000);
        } finally {
          running = false;
          await Promise.all([...rotating, ...logging]);
        }

        assert.deepEqual(tally.otherStatus, [], 'only 200/204 or 503');
        assert.ok(tally.rotationsRefused > 0 && tally.loginsRefused > 0, `the load met the outage: ${JSON.stringify(tally)}`);
        assert.ok(tally.rotated > 0 && acknowledgedLogins.length > 0, `and went on after it: ${JSON.stringify(tally)}`);
        // Each client's token (the last acknowledged, or the one a refused rotation left) rotates now.
        for (const [index, token] of holders.entries()) {
          const rotated = await refresh(app, token);
          assert.equal(rotated.status, 204, `client ${index}: ${rotated.status} ${JSON.stringify(rotated.body)}`);
        }
        // Each login answered 200 has its session stored: its refresh token rotates.
        for (const token of acknowledgedLogins) {
          const rotated = await refresh(app, token);
          assert.equal(rotated.status, 204, `a session acknowledged during the run: ${rotated.status} ${JSON.stringify(rotated.body)}`);
        }
        const stored = await countRows(app, 'SELECT COUNT(*) AS n FROM auth_session s JOIN sys_user u ON u.user_id = s.user_id WHERE u.username = ?', [
          username,
        ]);
        assert.ok(
          stored >= holders.length + acknowledgedLogins.length,
          `${stored} sessions stored for ${holders.length + acknowledgedLogins.length} acknowledged`,
        );
      });
    });
  }
});
