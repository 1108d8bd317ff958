// `npm run bench`: build the app, start it next to a bare Fastify server and
// compare their throughput with autocannon, then compare the login endpoint
// with raw bcrypt.compare at the same cost. Then, on MySQL, load the database
// reads GET /role/list (a page of 10) and GET /user/{uid} against a p99 target:
// on BENCH_DATABASE_URL, or else on a throw-away MariaDB/MySQL server when one is
// installed (skipped otherwise).
//
//   BENCH_DURATION=10            seconds per measured run (after a 2 s warm-up)
//   BENCH_ROUNDS=5               alternating rounds of the GET /test comparison (medians are reported)
//   BENCH_ROUND_DURATION=5       seconds measured per round
//   BENCH_CONNECTIONS=50         connections for the GET runs
//   BENCH_LOGIN_CONNECTIONS=8    connections for POST /auth/login, and in-flight compares for raw bcrypt
//   BENCH_BCRYPT_ROUNDS=12       BCRYPT_ROUNDS of the server and of the raw bcrypt run
//   BENCH_DATABASE_URL=mysql://user:pass@host:3306/db   benchmark on MySQL instead of SQLite, and use it
//                                for the MySQL phase instead of a throw-away server
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import mysql from 'mysql2/promise';
import { freePort } from './lib/free-port.mjs';
import { createThrowawayServer, findServerBinary, MysqlServerError } from './lib/mysql-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

const SETTINGS = {
  duration: positiveInt('BENCH_DURATION', 10),
  rounds: positiveInt('BENCH_ROUNDS', 5),
  roundSeconds: positiveInt('BENCH_ROUND_DURATION', 5),
  warmupSeconds: 2,
  connections: positiveInt('BENCH_CONNECTIONS', 50),
  loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
  bcryptRounds: positiveInt('BENCH_BCRYPT_ROUNDS', 12),
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
};
const ADMIN = { username: 'admin', password: 'Bench-Admin-Pass-1' };
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 60_000;
/** Share of the machine's CPU used by others above which the figures are flagged as unreliable. */
const BUSY_WARNING = 0.1;
const TARGETS = { test: 0.6, login: 0.9, rs256: 0.9 };
/** p99 target of the MySQL reads, in ms, at SETTINGS.connections connections. */
const P99_TARGET_MS = 20;
/** The database the throw-away MySQL server gets for the bench. */
const BENCH_DATABASE = 'identity_bench';
/** Created through the API for the MySQL phase: with the seeded admin and common roles, a full page of 10. */
const BENCH_ROLES = 9;
const BENCH_USER = { username: 'benchuser', password: 'Bench-User-Pass-77' };
const BARE_BODY = { code: 200, message: 'ok', msg: 'ok', data: null };

class Failure extends Error {}

/** Child processes still running (tsc, servers, bcrypt), killed on exit. */
const children = new Set();
let tmpDir = null;
/** The same for both identity servers (SQLite and MySQL). */
const JWT_SECRET = randomBytes(48).toString('base64url');
/** Started for the MySQL phase when there is no BENCH_DATABASE_URL; stopped in cleanUp(). */
const mysqlServer = createThrowawayServer({
  tmpPrefix: 'identity-bench-db-',
  checkAborted: () => {
    if (interrupted) throw new Failure('Interrupted.');
  },
});

// ---------------------------------------------------------------- main

async function main() {
  await build();
  tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'identity-bench-'));

  const app = await startApp(mainDatabase());
  const rsApp = await startApp(
    { ...mainDatabase(), SQLITE_PATH: path.join(tmpDir, 'bench-rs256.sqlite'), JWT_ALG: 'RS256', JWT_ACCEPT_HS256: 'true', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url') },
    `${describeDatabase()}, JWT_ALG=RS256`,
  );
  const bare = await startBareFastify();
  const token = await login(app.url);
  const rsToken = await login(rsApp.url);

  const busy = await otherCpuLoad(app.proc);
  console.log(`Other processes used ${(busy * 100).toFixed(0)}% of the machine's CPU while the servers were idle.`);
  if (busy > BUSY_WARNING) console.log(`WARNING: the machine is busy; every figure below will be low and noisy.`);

  const runs = [];
  /** alsoOurs: pids working for the server (the MySQL server), not counted as "others CPU". */
  const measure = async (name, server, opts, expectedStatus, { alsoOurs = [], database = describeDatabase(), keep = true } = {}) => {
    process.stdout.write(`  ${name} ... `);
    const run = { ...summarize(name, await load(server, opts, alsoOurs), expectedStatus), database };
    console.log(`${run.rps.toFixed(1)} req/s${run.problems.length ? `  (${run.problems.join(', ')})` : ''}`);
    if (keep) runs.push(run);
    return run;
  };

  // This VM's speed drifts from minute to minute (the host takes CPU back), so each ratio is taken from
  // two runs made back to back, in alternating order, round after round, and reported as the median of
  // the rounds' ratios. Each server is reported by its median round.
  console.log(`\nLoad runs (${SETTINGS.warmupSeconds} s warm-up, then ${SETTINGS.duration} s measured; GET /test in ${SETTINGS.rounds} rounds of back-to-back pairs, ${SETTINGS.roundSeconds} s each):`);
  const contenders = {
    bare: { name: 'bare Fastify  GET /test', proc: bare.proc, opts: { url: `${bare.url}/test`, connections: SETTINGS.connections }, status: 200 },
    hs: { name: 'identity      GET /test (valid token)', proc: app.proc, opts: { url: `${app.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } }, status: 204 },
    rs: { name: 'identity      GET /test (RS256 token)', proc: rsApp.proc, opts: { url: `${rsApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${rsToken}` } }, status: 204 },
    // The same RS256 server with an HS256 token (same secret; JWT_ACCEPT_HS256 keeps it valid): the RS256 ratio compares one process with itself.
    rsServerHs: { name: 'identity      GET /test (HS256 token, RS256 server)', proc: rsApp.proc, opts: { url: `${rsApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } }, status: 204 },
  };
  /** Each pair is measured back to back: [numerator, denominator] of a ratio. */
  const pairs = { test: ['hs', 'bare'], rs256: ['rs', 'rsServerHs'] };
  const rounds = Object.fromEntries(Object.keys(contenders).map((key) => [key, []]));
  const pairRatios = Object.fromEntries(Object.keys(pairs).map((key) => [key, []]));
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    // Pairs and the two sides of each pair swap places every round, so that no run always has the same slot.
    const pairOrder = round % 2 ? Object.keys(pairs) : Object.keys(pairs).reverse();
    for (const pairKey of pairOrder) {
      const sides = round % 2 ? pairs[pairKey] : [...pairs[pairKey]].reverse();
      for (const key of sides) {
        const contender = contenders[key];
        const opts = { ...contender.opts, duration: SETTINGS.roundSeconds };
        rounds[key].push(await measure(`${contender.name} #${round}`, contender.proc, opts, contender.status, { keep: false }));
      }
      const [numerator, denominator] = pairs[pairKey].map((key) => rounds[key].at(-1));
      pairRatios[pairKey].push(ratio(numerator, denominator));
    }
  }
  for (const [key, contender] of Object.entries(contenders)) {
    const median = medianRun(rounds[key]);
    runs.push({ ...median, name: `${contender.name} (median of ${SETTINGS.rounds})`, problems: rounds[key].flatMap((r) => r.problems) });
  }
  await stop(bare.proc);
  await stop(rsApp.proc);
  await measure('identity      GET /health', app.proc, { url: `${app.url}/health`, connections: SETTINGS.connections }, 200);

  // One after the other, each alone on the machine: both are CPU-bound on the same thread pool size.
  await waitForIdle(app.proc);
  process.stdout.write(`  raw bcrypt.compare (${SETTINGS.loginConnections} in flight) ... `);
  const bcryptRun = await rawBcrypt([app.proc.pid]);
  console.log(`${bcryptRun.rps.toFixed(2)} compares/s`);
  runs.push(bcryptRun);
  const loginRun = await measure(
    'identity      POST /auth/login',
    app.proc,
    {
      url: `${app.url}/auth/login`,
      method: 'POST',
      connections: SETTINGS.loginConnections,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    },
    200,
  );
  await stop(app.proc);


  // A failure here still leaves the figures above to report.
  const mysqlPhase = { skipped: null, error: null, origin: null, url: null, version: null, roles: null, userId: null, app: null, runs: [], targets: [] };
  try {
    await runMysqlPhase(measure, mysqlPhase);
  } catch (error) {
    if (interrupted) throw error;
    mysqlPhase.error = error instanceof Failure || error instanceof MysqlServerError ? error.message : error?.stack ?? String(error);
    console.log(`\nThe MySQL phase failed: ${mysqlPhase.error}`);
  } finally {
    if (mysqlPhase.app) await stop(mysqlPhase.app.proc);
    await mysqlServer.stop();
  }

  const ratios = {
    test: { name: 'GET /test (valid token) / bare Fastify, median of paired rounds', value: medianOf(pairRatios.test), rounds: pairRatios.test, target: TARGETS.test },
    login: { name: 'POST /auth/login / raw bcrypt.compare', value: ratio(loginRun, bcryptRun), target: TARGETS.login },
    rs256: { name: 'GET /test RS256 token / HS256 token, same server, median of paired rounds', value: medianOf(pairRatios.rs256), rounds: pairRatios.rs256, target: TARGETS.rs256 },
  };
  const failed = runs.filter((run) => run.problems.length > 0);
  printReport(runs, ratios, failed, busy, mysqlPhase);
  const resultsFile = await writeResults(runs, ratios, failed, busy, mysqlPhase);
  console.log(`\nResults: ${resultsFile}`);
  if (failed.some((run) => !mysqlPhase.runs.includes(run))) console.log(`\nLast lines the identity server wrote (LOG_LEVEL=warn):\n${lastLines(app.proc, 20)}`);
  if (mysqlPhase.app && (mysqlPhase.error || failed.some((run) => mysqlPhase.runs.includes(run)))) {
    console.log(`\nLast lines the identity server on MySQL wrote (LOG_LEVEL=warn):\n${lastLines(mysqlPhase.app.proc, 20)}`);
  }
  if (mysqlPhase.error) throw new Failure(`The MySQL phase failed: ${mysqlPhase.error}`);
  if (failed.length > 0) throw new Failure(`${failed.length} run(s) had errors or unexpected status codes: ${failed.map((r) => r.name.replace(/\s+/g, ' ')).join('; ')}`);
}

// ---------------------------------------------------------------- build and servers

async function build() {
  console.log('Building (tsc -p tsconfig.build.json) ...');
  const { code, output } = await runToEnd(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
  if (code !== 0) throw new Failure(`The build failed:\n${output}`);
}

/** The database of the first phase: BENCH_DATABASE_URL, or SQLite in the temp dir. */
function mainDatabase() {
  return SETTINGS.databaseUrl
    ? { DB_TYPE: 'mysql', DATABASE_URL: SETTINGS.databaseUrl }
    : { DB_TYPE: 'sqlite', SQLITE_PATH: path.join(tmpDir, 'bench.sqlite') };
}

async function startApp(database, description = describeDatabase()) {
  const port = await freePort();
  const env = {
    ...baseEnv(),
    ...database,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: tmpDir,
    JWT_SECRET,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
    BCRYPT_ROUNDS: String(SETTINGS.bcryptRounds),
    NODE_ENV: 'production',
  };
  // cwd is the temp dir so that a developer's .env (read by main.ts) cannot change what is measured.
  const proc = startServer(process.execPath, [path.join(ROOT, 'dist/src/main.js')], { cwd: tmpDir, env });
  const url = `http://127.0.0.1:${port}`;
  console.log(`Starting the identity server on ${url} (${description}) ...`);
  await waitUntilReady(proc, `${url}/health`, 'identity server');
  return { proc, url };
}

async function startBareFastify() {
  const port = await freePort();
  const fastifyUrl = pathToFileURL(requireFromRoot.resolve('fastify')).href;
  const file = path.join(tmpDir, 'bare-fastify.mjs');
  await fsp.writeFile(
    file,
    `import Fastify from ${JSON.stringify(fastifyUrl)};
const app = Fastify({ logger: false });
app.get('/test', async () => (${JSON.stringify(BARE_BODY)}));
await app.listen({ port: ${port}, host: '127.0.0.1' });
`,
  );
  const proc = startServer(process.execPath, [file], { cwd: tmpDir, env: baseEnv() });
  const url = `http://127.0.0.1:${port}`;
  console.log(`Starting bare Fastify on ${url} ...`);
  await waitUntilReady(proc, `${url}/test`, 'bare Fastify');
  return { proc, url };
}

/** Only what every child needs, the same for all, so shell settings (LOG_REQUESTS, DB_POOL_SIZE, ...) cannot skew one side. */
function baseEnv() {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'UV_THREADPOOL_SIZE', 'NODE_OPTIONS'];
  return Object.fromEntries(keep.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]));
}

function startServer(command, args, options) {
  const proc = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.output = { stdout: tail(proc.stdout), stderr: tail(proc.stderr) };
  track(proc);
  return proc;
}

async function waitUntilReady(proc, url, name) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Failure(`The ${name} exited during start (code ${proc.exitCode ?? proc.signalCode}).\n${childOutput(proc)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Failure(`The ${name} did not answer 200 on ${url} within ${READY_TIMEOUT_MS / 1000} s.\n${childOutput(proc)}`);
}

async function login(baseUrl) {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const text = await response.text();
  if (response.status !== 200) {
    const hint = SETTINGS.databaseUrl ? ' (on an existing database the administrator may have another password)' : '';
    throw new Failure(`POST /auth/login answered ${response.status}${hint}: ${text}`);
  }
  const header = response.headers.get('authorization') ?? '';
  const token = header.replace(/^Bearer /, '');
  const bodyToken = JSON.parse(text)?.data?.token;
  if (!token || token !== bodyToken) throw new Failure(`POST /auth/login: no access token, or header and body differ: ${header} / ${text}`);
  return token;
}

// ---------------------------------------------------------------- MySQL phase

/**
 * A second identity server on MySQL, with data created through the API, loaded with
 * GET /test, GET /role/list and GET /user/{uid}; fills in `phase` as it goes (skipped: why
 * there is no MySQL). The caller stops the server and the MySQL server.
 */
async function runMysqlPhase(measure, phase) {
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
  phase.url = redact(url);
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

async function serverVersion(url) {
  let conn;
  try {
    conn = await mysql.createConnection({ uri: url, connectTimeout: 10_000 });
    const [rows] = await conn.query('SELECT VERSION() AS version');
    const { version } = rows[0];
    return `${/mariadb/i.test(version) ? 'MariaDB' : 'MySQL'} ${version}`;
  } catch (error) {
    throw new Failure(`Cannot connect to ${redact(url)}: ${error.message}`);
  } finally {
    await conn?.end().catch(() => {});
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

// ---------------------------------------------------------------- measuring

/** A discarded warm-up run, then the measured run with the same options, each starting on an idle server. */
async function load(server, opts, alsoOurs = []) {
  const common = { pipelining: 1, timeout: 30, ...opts };
  await waitForIdle(server, alsoOurs);
  await autocannon({ ...common, duration: SETTINGS.warmupSeconds });
  // autocannon drops its connections at the end, but the server still finishes what they asked for
  // (for the login: bcrypt compares that would occupy the thread pool at the start of the measured run).
  await waitForIdle(server, alsoOurs);
  const usage = startCpuAccounting([server.pid, ...alsoOurs]);
  const serverTicksBefore = await cpuTicks(server.pid);
  const result = await autocannon({ duration: SETTINGS.duration, ...common });
  const serverTicksAfter = await cpuTicks(server.pid);
  const serverCpuMs = serverTicksBefore === null || serverTicksAfter === null ? null : (serverTicksAfter - serverTicksBefore) * 10;
  return { ...result, otherCpu: await usage.othersShare(), serverCpuMs };
}

/**
 * Waits until the process (and the alsoOurs pids, e.g. its MySQL server) has used almost no CPU
 * for half a second (Linux /proc; elsewhere a fixed pause).
 */
async function waitForIdle(proc, alsoOurs = []) {
  const deadline = Date.now() + IDLE_TIMEOUT_MS;
  const ticks = async () => {
    const all = await Promise.all([proc.pid, ...alsoOurs].map(cpuTicks));
    return all[0] === null ? null : all.reduce((sum, t) => sum + (t ?? 0), 0);
  };
  let quietSince = null;
  let last = await ticks();
  if (last === null) return sleep(3000);
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await ticks();
    if (now === null) return;
    // Ticks are 10 ms: at most one tick per 100 ms is ~10% of a core, i.e. housekeeping only.
    if (now - last <= 1) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 500) return;
    } else {
      quietSince = null;
    }
    last = now;
  }
  console.log(`\n  (the server did not become idle within ${IDLE_TIMEOUT_MS / 1000} s; measuring anyway)`);
}

/** utime + stime of a process, in clock ticks, or null where /proc is not available. */
async function cpuTicks(pid) {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Share of all CPUs busy over one second while the servers are idle: other processes skewing the run. */
async function otherCpuLoad(server) {
  await waitForIdle(server);
  const usage = startCpuAccounting([server.pid]);
  await sleep(1000);
  return usage.othersShare();
}

/**
 * Counts the machine's CPU time from now on and, at othersShare(), returns the share of all
 * CPUs used by processes other than this one and the given ones (ms of CPU `extraMs` are ours too,
 * e.g. a child that has exited). The machine is shared: this tells a slow run from a slow server.
 */
function startCpuAccounting(pids) {
  const machineBefore = machineCpu();
  const selfBefore = process.cpuUsage();
  const ticksBefore = Promise.all(pids.map(cpuTicks));
  return {
    async othersShare(extraMs = 0) {
      const machine = machineCpu();
      const self = process.cpuUsage(selfBefore);
      const before = await ticksBefore;
      const after = await Promise.all(pids.map(cpuTicks));
      const childrenMs = after.reduce((sum, ticks, i) => sum + (ticks ?? 0) - (before[i] ?? 0), 0) * 10;
      const busyMs = machine.busy - machineBefore.busy;
      const allMs = machine.all - machineBefore.all;
      const oursMs = (self.user + self.system) / 1000 + childrenMs + extraMs;
      return Math.max(0, busyMs - oursMs) / Math.max(1, allMs);
    },
  };
}

function machineCpu() {
  return os.cpus().reduce(
    (sum, { times }) => {
      const busy = times.user + times.nice + times.sys + times.irq;
      return { busy: sum.busy + busy, all: sum.all + busy + times.idle };
    },
    { busy: 0, all: 0 },
  );
}

/** The median of figures, null when any is missing (a failed run). */
function medianOf(values) {
  if (values.length === 0 || values.some((value) => value === null)) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The run with the median requests/s. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

function summarize(name, result, expectedStatus) {
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const unexpected = Object.entries(statuses).filter(([code]) => Number(code) !== expectedStatus);
  const problems = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx`);
  if (result.non2xx === 0 && unexpected.length > 0) problems.push(`unexpected status ${unexpected.map(([c, n]) => `${c}×${n}`).join(' ')}`);
  if (result.errors > 0) problems.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (result.requests.total === 0) problems.push('no completed requests');
  return {
    name,
    rps: result.requests.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
    problems,
    otherCpu: result.otherCpu,
    /** CPU time the server process spent per completed request (Linux only): what the request path costs. */
    cpuUsPerRequest: result.serverCpuMs === null || result.requests.total === 0 ? null : (result.serverCpuMs * 1000) / result.requests.total,
  };
}

/** bcrypt.compare in a separate process, at the login's concurrency, with a warm-up like the HTTP runs. */
async function rawBcrypt(serverPids) {
  const bcryptUrl = pathToFileURL(requireFromRoot.resolve('bcrypt')).href;
  const file = path.join(tmpDir, 'raw-bcrypt.mjs');
  await fsp.writeFile(
    file,
    `import bcrypt from ${JSON.stringify(bcryptUrl)};
const [rounds, concurrency, warmupMs, durationMs] = process.argv.slice(2).map(Number);
const password = ${JSON.stringify(ADMIN.password)};
const hash = await bcrypt.hash(password, rounds);

async function run(ms) {
  const start = performance.now();
  const end = start + ms;
  const latencies = [];
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await bcrypt.compare(password, hash))) throw new Error('compare returned false');
      const t1 = performance.now();
      // Like autocannon: only what completes inside the window counts.
      if (t1 <= end) latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

await run(warmupMs);
const latencies = (await run(durationMs)).sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : 0);
const { user, system } = process.cpuUsage();
process.stdout.write(JSON.stringify({ completed: latencies.length, rps: latencies.length / (durationMs / 1000), p50: pct(50), p99: pct(99), cpuMs: (user + system) / 1000 }));
`,
  );
  const args = [file, SETTINGS.bcryptRounds, SETTINGS.loginConnections, SETTINGS.warmupSeconds * 1000, SETTINGS.duration * 1000].map(String);
  const usage = startCpuAccounting(serverPids);
  const { code, output, stdout } = await runToEnd(process.execPath, args, { cwd: tmpDir, env: baseEnv() });
  if (code !== 0) throw new Failure(`The raw bcrypt run failed:\n${output}`);
  const result = JSON.parse(stdout);
  // Covers the child's whole life (hash and warm-up too), so it is a rougher figure than for the HTTP runs.
  const otherCpu = await usage.othersShare(result.cpuMs);
  return {
    name: 'raw bcrypt.compare (child process)',
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.completed,
    non2xx: 0,
    errors: 0,
    statuses: {},
    problems: result.completed === 0 ? ['no completed compares'] : [],
    otherCpu,
  };
}

// ---------------------------------------------------------------- report

function printReport(runs, ratios, failed, busy, mysqlPhase) {
  const header = ['Run', 'req/s (mean)', 'p50 ms', 'p99 ms', 'requests', 'server CPU µs/req', 'non-2xx', 'errors', 'others CPU'];
  const rows = runs.map((r) => [
    r.name,
    r.rps.toFixed(r.rps < 100 ? 2 : 1),
    fmtMs(r.p50),
    fmtMs(r.p99),
    String(r.requests),
    r.cpuUsPerRequest == null ? '-' : r.cpuUsPerRequest.toFixed(r.cpuUsPerRequest < 1000 ? 1 : 0),
    String(r.non2xx),
    String(r.errors),
    `${(r.otherCpu * 100).toFixed(0)}%${r.otherCpu > BUSY_WARNING ? ' !' : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');

  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));

  console.log('');
  for (const { name, value, target, rounds } of Object.values(ratios)) {
    const mark = value === null ? 'no figure (failed run)' : value >= target ? 'ok' : 'BELOW TARGET';
    const perRound = rounds ? `  rounds: ${rounds.map((r) => (r === null ? 'n/a' : r.toFixed(2))).join(' ')}` : '';
    console.log(`${name} = ${value === null ? 'n/a' : value.toFixed(2)} (target >= ${target.toFixed(2)})  ${mark}${perRound}`);
  }
  if (mysqlPhase.skipped) {
    console.log(`MySQL phase skipped: ${mysqlPhase.skipped}`);
  } else if (mysqlPhase.error) {
    console.log(`MySQL phase failed (no p99 figures): ${mysqlPhase.error.split('\n')[0]}`);
  } else {
    for (const t of mysqlPhase.targets) {
      const mark = t.meetsTarget === null ? 'no figure (failed run)' : t.meetsTarget ? 'ok' : 'ABOVE TARGET';
      console.log(`${t.name}: ${t.rps.toFixed(1)} req/s, p50 ${fmtMs(t.p50)} ms, p99 ${fmtMs(t.p99)} ms  p99 < ${t.targetMs} ms target: ${mark}`);
    }
  }

  console.log('');
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}`);
  console.log(`bcrypt rounds ${SETTINGS.bcryptRounds}, database ${describeDatabase()}`);
  if (mysqlPhase.version) {
    console.log(`MySQL phase: ${mysqlPhase.version} at ${mysqlPhase.url} (${mysqlPhase.origin}); ${mysqlPhase.roles} roles, user id ${mysqlPhase.userId}`);
  }
  console.log(`CPU used by other processes before the runs: ${(busy * 100).toFixed(0)}% ("others CPU": share of both CPUs used by other processes during each run)`);
  const disturbed = runs.filter((r) => r.otherCpu > BUSY_WARNING);
  if (disturbed.length > 0) {
    console.log(`WARNING: other processes used more than ${BUSY_WARNING * 100}% of the CPUs during ${disturbed.length} run(s) (marked !): those figures are low and the ratios unreliable; rerun on a quiet machine.`);
  }
  console.log(`${SETTINGS.connections} connections for GET, ${SETTINGS.loginConnections} for login/bcrypt, pipelining 1, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.duration} s`);
  for (const run of failed) console.log(`FAILED: ${run.name.replace(/\s+/g, ' ')}: ${run.problems.join(', ')}; statuses ${JSON.stringify(run.statuses)}`);
}

async function writeResults(runs, ratios, failed, busy, mysqlPhase) {
  const file = path.join(os.tmpdir(), `identity-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
    bcryptRounds: SETTINGS.bcryptRounds,
    database: SETTINGS.databaseUrl ? 'mysql' : 'sqlite',
    otherCpuLoad: busy,
    settings: { duration: SETTINGS.duration, warmup: SETTINGS.warmupSeconds, connections: SETTINGS.connections, loginConnections: SETTINGS.loginConnections, pipelining: 1 },
    runs: runs.map(({ name, ...rest }) => ({ name: name.replace(/\s+/g, ' '), ...rest })),
    ratios: Object.fromEntries(Object.entries(ratios).map(([key, r]) => [key, { ...r, meetsTarget: r.value !== null && r.value >= r.target }])),
    mysql: {
      skipped: mysqlPhase.skipped,
      error: mysqlPhase.error,
      server: mysqlPhase.origin,
      url: mysqlPhase.url,
      version: mysqlPhase.version,
      roles: mysqlPhase.roles,
      userId: mysqlPhase.userId,
      p99Targets: mysqlPhase.targets,
    },
    ok: failed.length === 0 && !mysqlPhase.error,
  };
  await fsp.writeFile(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}

function describeDatabase() {
  if (!SETTINGS.databaseUrl) return 'sqlite';
  return `mysql ${describeUrl(SETTINGS.databaseUrl)}`.trim();
}

/** host:port/db of a mysql:// URL, without the credentials. */
function describeUrl(databaseUrl) {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return '';
  }
}

function redact(databaseUrl) {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

const ratio = (run, baseline) => (run.problems.length === 0 && baseline.problems.length === 0 ? run.rps / baseline.rps : null);
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));

// ---------------------------------------------------------------- processes

function track(proc) {
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

/** Runs a command to its end, collecting its output. */
function runToEnd(command, args, options) {
  return new Promise((resolve, reject) => {
    const proc = track(spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code: code ?? signal, stdout, output: (stdout + stderr).trim() }));
  });
}

/** Keeps reading a stream (a full pipe would block the server) and remembers its last 64 KiB. */
function tail(stream, limit = 64 * 1024) {
  const state = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    state.text = (state.text + chunk).slice(-limit);
  });
  return state;
}

function childOutput(proc) {
  const { stdout, stderr } = proc.output;
  return `--- stderr ---\n${stderr.text.trim() || '(empty)'}\n--- stdout ---\n${stdout.text.trim() || '(empty)'}`;
}

function lastLines(proc, count) {
  const text = `${proc.output.stderr.text}${proc.output.stdout.text}`.trim();
  // Error log lines are long JSON with stacks; the start says what happened.
  return text ? text.split('\n').slice(-count).map((line) => (line.length > 400 ? `${line.slice(0, 400)} ...` : line)).join('\n') : '(nothing)';
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function cleanUp() {
  // The identity servers first: they hold connections to the MySQL server.
  await Promise.all([...children].map(stop));
  try {
    await mysqlServer.stop();
  } catch (error) {
    console.error(`Stopping the MySQL server failed: ${error.message}`);
  }
  if (tmpDir) await fsp.rm(tmpDir, { recursive: true, force: true });
}


function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- entry

let interrupted = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, async () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the servers ...`);
    await cleanUp();
    process.exit(code);
  });
}

// Last resort (an exit before cleanUp() could finish): no await possible any more.
process.on('exit', () => mysqlServer.killSync());

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  if (!interrupted) console.error(`\n${error instanceof Failure || error instanceof MysqlServerError ? error.message : error?.stack ?? error}`);
} finally {
  if (!interrupted) await cleanUp();
}
if (!interrupted) process.exit(exitCode);
