// The MySQL phase: database reads under load against a p99 target, and refresh rotations.
import mysql from 'mysql2/promise';
import { createThrowawayServer, findServerBinary, redactUrl, serverVersion } from '../lib/mysql-server.mjs';
import { measureRefresh } from './refresh.mjs';
import { login, startApp } from './servers.mjs';
import { BENCH_DATABASE, BENCH_ROLES, BENCH_USER, describeUrl, Failure, interrupted, P99_TARGET_MS, SETTINGS } from './settings.mjs';

/** Started for the MySQL phase when there is no BENCH_DATABASE_URL; stopped in cleanUp(). */
export const mysqlServer = createThrowawayServer({
  tmpPrefix: 'identity-bench-db-',
  checkAborted: () => {
    if (interrupted) throw new Failure('Interrupted.');
  },
});

/**
 * A second identity server on MySQL, with data created through the API, loaded with
 * GET /test, GET /role/list and GET /user/{uid}; fills in `phase` as it goes (skipped: why
 * there is no MySQL). The caller stops the server and the MySQL server.
 */
export async function runMysqlPhase(measure, phase) {
  let url = SETTINGS.databaseUrl;
  let extraPids = [];
  if (url) {
    phase.origin = 'BENCH_DATABASE_URL';
  } else {
    if (!findServerBinary()) {
      phase.skipped = 'no mariadbd/mysqld installed (set BENCH_DATABASE_URL=mysql://user:pass@host:3306/db to use a server)';
      return;
    }
    console.log('\nStarting a throw-away MySQL server ...');
    const started = Date.now();
    const rootUrl = await mysqlServer.start();
    await createDatabase(rootUrl, BENCH_DATABASE);
    url = `${rootUrl}/${BENCH_DATABASE}`;
    extraPids = [mysqlServer.proc.pid];
    phase.origin = `throw-away server, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }
  phase.url = redactUrl(url);
  phase.version = await serverVersion(url);
  console.log(`MySQL: ${phase.version} at ${phase.url} (${phase.origin})`);

  const app = await startApp({ DB_TYPE: 'mysql', DATABASE_URL: url }, `mysql ${describeUrl(url)}`);
  phase.app = app;
  const token = await login(app.url);
  const auth = { authorization: `Bearer ${token}` };
  Object.assign(phase, await createBenchData(app.url, auth));

  // Each answer checked once, so that a 200 in the runs means the page and the user.
  const rolePath = '/role/list?pageNum=1&pageSize=10';
  const roles = await api(app.url, 'GET', rolePath, { headers: auth });
  if (roles.status !== 200 || roles.json?.data?.list?.length !== 10) {
    throw new Failure(`GET ${rolePath} on MySQL: expected 200 with 10 roles in data.list, got ${roles.status}: ${roles.text.slice(0, 500)}`);
  }
  const userPath = `/user/${phase.userId}`;
  const user = await api(app.url, 'GET', userPath, { headers: auth });
  if (user.status !== 200 || user.json?.data?.userId !== phase.userId) {
    throw new Failure(`GET ${userPath} on MySQL: expected 200 with data.userId ${phase.userId}, got ${user.status}: ${user.text.slice(0, 500)}`);
  }

  const options = { alsoOurs: extraPids, database: `mysql ${describeUrl(url)}` };
  const get = (urlPath) => ({ url: `${app.url}${urlPath}`, connections: SETTINGS.connections, headers: auth });
  console.log(`\nLoad runs on MySQL (${SETTINGS.warmupSeconds} s warm-up, then ${SETTINGS.duration} s measured):`);
  phase.runs.push(await measure('mysql         GET /test (valid token)', app.proc, get('/test'), 204, options));
  const roleRun = await measure(`mysql         GET ${rolePath}`, app.proc, get(rolePath), 200, options);
  const userRun = await measure(`mysql         GET /user/${phase.userId}`, app.proc, get(userPath), 200, options);
  phase.runs.push(roleRun, userRun);
  phase.refresh = await measureRefresh(`mysql         POST /auth/session (${SETTINGS.refreshSessions} sessions rotating)`, app, options);
  phase.runs.push(phase.refresh);
  phase.targets = [roleRun, userRun].map((run) => ({
    name: run.name.replace(/\s+/g, ' '),
    rps: run.rps,
    p50: run.p50,
    p99: run.p99,
    targetMs: P99_TARGET_MS,
    meetsTarget: run.problems.length === 0 ? run.p99 < P99_TARGET_MS : null,
  }));
}

async function createDatabase(rootUrl, name) {
  const conn = await mysql.createConnection({ uri: rootUrl, connectTimeout: 10_000 });
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end().catch(() => {});
  }
}

/**
 * BENCH_ROLES roles and BENCH_USER, through the API as a client would. On a reused
 * database (BENCH_DATABASE_URL) they may exist from an earlier run: a 409 is fine then.
 */
async function createBenchData(baseUrl, auth) {
  for (let n = 1; n <= BENCH_ROLES; n++) {
    const body = { role_name: `bench role ${n}`, role_key: `bench_${n}`, role_sort: n };
    const created = await api(baseUrl, 'POST', '/role', { headers: auth, body });
    if (created.status !== 200 && created.status !== 409) throw new Failure(`POST /role ${JSON.stringify(body)} answered ${created.status}: ${created.text}`);
  }
  const roles = await api(baseUrl, 'GET', '/role/list?pageNum=1&pageSize=1', { headers: auth });
  const total = roles.json?.data?.total;

  const registered = await api(baseUrl, 'POST', '/user', { body: BENCH_USER });
  let userId = registered.json?.data?.id;
  if (registered.status === 409) {
    const found = await api(baseUrl, 'GET', `/user/list?username=${BENCH_USER.username}&pageSize=100`, { headers: auth });
    userId = found.json?.data?.list?.find((u) => u.username === BENCH_USER.username)?.userId;
  } else if (registered.status !== 201) {
    throw new Failure(`POST /user (registration of ${BENCH_USER.username}) answered ${registered.status}: ${registered.text}`);
  }
  if (!Number.isInteger(userId)) throw new Failure(`No id for ${BENCH_USER.username}: POST /user answered ${registered.status}: ${registered.text}`);
  return { roles: total ?? null, userId };
}

/** One request with a JSON body (if any); the body parsed when it is JSON. */
async function api(baseUrl, method, urlPath, { headers = {}, body } = {}) {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON; the text says what happened
  }
  return { status: response.status, text, json };
}
