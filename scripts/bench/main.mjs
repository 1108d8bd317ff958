// `npm run bench` (scripts/bench/main.mjs): build the app, start it (HS256, RS256, ES256) next to a bare
// Fastify server answering the same (status, body, headers: checked before the runs) and compare their throughput
// with wrk, one thread (GET /test and GET /health/live against the same routes of bare Fastify, RS256/ES256 tokens
// against HS256 ones on the same server, GET /v1/auth/jwks against the same JWK Set served by bare Fastify), then the login endpoint with raw bcrypt.compare at the same cost, then refresh
// rotations (BENCH_REFRESH_SESSIONS sessions in closed loops), and the server's RSS and start-to-ready time,
// then the medians of a login's time for an unknown user and for a wrong password (login-timing.mjs).
// Then, on MySQL, the refresh rotations again and the database reads GET /role/list (a page of 10) and
// GET /user/{uid} against a p99 target: on BENCH_DATABASE_URL, or else on a throw-away MariaDB/MySQL server
// when one is installed (skipped otherwise). wrk (Debian package `wrk`) is required: without it the bench stops.
// The figures are printed beside their targets, written as JSON to the temp dir and as Markdown to bench/RESULTS.md.
//
//   BENCH_DURATION=10            seconds per measured run (after a 2 s warm-up)
//   BENCH_ROUNDS=5               alternating rounds of the paired comparisons (medians are reported)
//   BENCH_ROUND_DURATION=4       seconds measured per round (a 2 s warm-up before each contender's first round)
//   BENCH_REFRESH_SESSIONS=50    sessions rotating their refresh tokens in closed loops
//   BENCH_REFRESH_DURATION=10    seconds of the refresh measurement (after a 2 s warm-up)
//   BENCH_CONNECTIONS=50         connections for the GET runs
//   BENCH_LOGIN_CONNECTIONS=8    connections for POST /auth/login, and in-flight compares for raw bcrypt
//   BENCH_BCRYPT_ROUNDS=12       BCRYPT_ROUNDS of the server and of the raw bcrypt run
//   BENCH_TIMING_TRIES=200       wrong logins of each kind (unknown user, wrong password) for the timing
//   BENCH_DATABASE_URL=mysql://user:pass@host:3306/db   benchmark on MySQL instead of SQLite, and use it
//                                for the MySQL phase instead of a throw-away server
//
// `npm run bench -- --soak` runs the soak instead (scripts/bench/soak.mjs: mixed load on MariaDB/MySQL for
// BENCH_SOAK_SECONDS=600 at BENCH_SOAK_RATE=100 req/s) and writes its section of bench/RESULTS.md.
// `npm run bench -- --scaled` runs 1, 2 and 3 servers behind nginx on one MariaDB, without and with Redis
// (scripts/bench/scaled.mjs), and writes the scaled section.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MysqlServerError } from '../lib/mysql-server.mjs';
import { children, lastLines, stop } from './children.mjs';
import { assertSameAnswer, load, medianOf, medianRun, otherCpuLoad, probe, ratio, rawBcrypt, summarize, waitForIdle } from './load.mjs';
import { mysqlServer, runMysqlPhase } from './mysql-phase.mjs';
import { measureLoginTiming, TIMING_LIMITS } from './login-timing.mjs';
import { measureRefresh } from './refresh.mjs';
import { runScaled } from './scaled.mjs';
import { runSoak } from './soak.mjs';
import { printReport, writeMarkdown, writeResults } from './report.mjs';
import { answerHeaders, build, createBenchTicket, livenessBody, login, mainDatabase, rssMb, startApp, startBareFastify } from './servers.mjs';
import {
  ADMIN,
  BENCH_GATEWAY,
  BUSY_WARNING,
  createTmpDir,
  describeDatabase,
  Failure,
  interrupted,
  markInterrupted,
  SETTINGS,
  TARGETS,
  tmpDir,
  wrkPath,
} from './settings.mjs';

async function main() {
  if (process.argv.includes('--soak')) {
    await build();
    await createTmpDir();
    return runSoak();
  }
  if (process.argv.includes('--scaled')) {
    await build();
    await createTmpDir();
    return runScaled();
  }
  console.log(`Load generator: ${wrkPath()} (one thread; autocannon saturates below these servers on a small machine)`);
  await build();
  await createTmpDir();

  const app = await startApp(mainDatabase());
  await waitForIdle(app.proc);
  const memory = { readyMs: app.readyMs, idleMb: await rssMb(app.proc.pid), afterLoadMb: null };
  const rsApp = await startApp(
    {
      ...mainDatabase(),
      SQLITE_PATH: path.join(tmpDir, 'bench-rs256.sqlite'),
      JWT_ALG: 'RS256',
      JWT_ACCEPT_HS256: 'true',
      KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url'),
    },
    `${describeDatabase()}, JWT_ALG=RS256`,
  );
  const esApp = await startApp(
    {
      ...mainDatabase(),
      SQLITE_PATH: path.join(tmpDir, 'bench-es256.sqlite'),
      JWT_ALG: 'ES256',
      JWT_ACCEPT_HS256: 'true',
      KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url'),
    },
    `${describeDatabase()}, JWT_ALG=ES256`,
  );
  const token = await login(app.url);
  const rsToken = await login(rsApp.url);
  const esToken = await login(esApp.url);
  const jwks = await createBenchTicket(app.url, token);
  const bare = await startBareFastify({
    jwksBody: jwks.jwksBody,
    liveBody: await livenessBody(app.url),
    headers: {
      test: await answerHeaders(`${app.url}/test`, { authorization: `Bearer ${token}` }),
      live: await answerHeaders(`${app.url}/health/live`),
      jwks: await answerHeaders(`${app.url}/v1/auth/jwks?gatewayId=${BENCH_GATEWAY}`),
    },
  });

  const busy = await otherCpuLoad(app.proc);
  console.log(`Other processes used ${(busy * 100).toFixed(0)}% of the machine's CPU while the servers were idle.`);
  if (busy > BUSY_WARNING) console.log(`WARNING: the machine is busy; every figure below will be low and noisy.`);

  const runs = [];
  /** alsoOurs: pids working for the server (the MySQL server), not counted as "others CPU". */
  const measure = async (name, server, opts, expectedStatus, { alsoOurs = [], database = describeDatabase(), keep = true, warmup = true } = {}) => {
    await probe(name, opts, expectedStatus);
    process.stdout.write(`  ${name} ... `);
    const run = { ...summarize(name, await load(server, opts, alsoOurs, { warmup })), database };
    console.log(`${run.rps.toFixed(1)} req/s${run.problems.length ? `  (${run.problems.join(', ')})` : ''}`);
    if (keep) runs.push(run);
    return run;
  };

  // This VM's speed drifts from minute to minute (the host takes CPU back), so each ratio is taken from
  // two runs made back to back, in alternating order, round after round, and reported as the median of
  // the rounds' ratios. Each server is reported by its median round.
  console.log(
    `\nLoad runs with wrk -t1 (${SETTINGS.warmupSeconds} s warm-up, then ${SETTINGS.duration} s measured; the pairs in ${SETTINGS.rounds} rounds, back to back, ${SETTINGS.roundSeconds} s each, warm-up before the first round only):`,
  );
  const contenders = {
    // The same bare 204 as the identity server's (wrk sends the token to both).
    bare: {
      name: 'bare Fastify  GET /test',
      proc: bare.proc,
      opts: { url: `${bare.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } },
      status: 204,
    },
    hs: {
      name: 'identity      GET /test (valid token)',
      proc: app.proc,
      opts: { url: `${app.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } },
      status: 204,
    },
    rs: {
      name: 'identity      GET /test (RS256 token)',
      proc: rsApp.proc,
      opts: { url: `${rsApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${rsToken}` } },
      status: 204,
    },
    // The same RS256 server with an HS256 token (same secret; JWT_ACCEPT_HS256 keeps it valid): the RS256 ratio compares one process with itself.
    rsServerHs: {
      name: 'identity      GET /test (HS256 token, RS256 server)',
      proc: rsApp.proc,
      opts: { url: `${rsApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } },
      status: 204,
    },
    es: {
      name: 'identity      GET /test (ES256 token)',
      proc: esApp.proc,
      opts: { url: `${esApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${esToken}` } },
      status: 204,
    },
    esServerHs: {
      name: 'identity      GET /test (HS256 token, ES256 server)',
      proc: esApp.proc,
      opts: { url: `${esApp.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } },
      status: 204,
    },
    // The database-free liveness route, against bare Fastify sending the same envelope.
    live: {
      name: 'identity      GET /health/live',
      proc: app.proc,
      opts: { url: `${app.url}/health/live`, connections: SETTINGS.connections },
      status: 200,
    },
    bareLive: {
      name: 'bare Fastify  GET /health/live',
      proc: bare.proc,
      opts: { url: `${bare.url}/health/live`, connections: SETTINGS.connections },
      status: 200,
    },
    // What every API gateway polls: served from memory, against bare Fastify sending the same JWK Set text.
    jwks: {
      name: 'identity      GET /v1/auth/jwks',
      proc: app.proc,
      opts: { url: `${app.url}/v1/auth/jwks?gatewayId=${BENCH_GATEWAY}`, connections: SETTINGS.connections },
      status: 200,
    },
    bareJwks: {
      name: 'bare Fastify  GET /v1/auth/jwks',
      proc: bare.proc,
      opts: { url: `${bare.url}/v1/auth/jwks?gatewayId=${BENCH_GATEWAY}`, connections: SETTINGS.connections },
      status: 200,
    },
  };
  /** Each pair is measured back to back: [numerator, denominator] of a ratio. */
  const pairs = {
    test: ['hs', 'bare'],
    live: ['live', 'bareLive'],
    rs256: ['rs', 'rsServerHs'],
    es256: ['es', 'esServerHs'],
    jwks: ['jwks', 'bareJwks'],
  };
  // A ratio means something only if both sides answer the same: status, body and headers (but Date).
  for (const [numerator, denominator] of [
    ['hs', 'bare'],
    ['live', 'bareLive'],
    ['jwks', 'bareJwks'],
  ]) {
    await assertSameAnswer(contenders[numerator], contenders[denominator]);
  }
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
        rounds[key].push(await measure(`${contender.name} #${round}`, contender.proc, opts, contender.status, { keep: false, warmup: round === 1 }));
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
  await stop(esApp.proc);

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
  const refreshRun = await measureRefresh(`identity      POST /auth/session (${SETTINGS.refreshSessions} sessions rotating)`, app, {
    database: describeDatabase(),
  });
  runs.push(refreshRun);
  memory.afterLoadMb = await rssMb(app.proc.pid);
  await stop(app.proc);

  // Issue 15: does a login's time tell whether the user exists? On the same database, limits on but out of reach.
  const timingApp = await startApp({ ...mainDatabase(), ...TIMING_LIMITS }, `${describeDatabase()}, login timing`);
  let timing;
  try {
    await waitForIdle(timingApp.proc);
    process.stdout.write(`  login timing, unknown user against wrong password (${SETTINGS.timingTries} tries each, one in flight) ... `);
    timing = await measureLoginTiming(timingApp);
    console.log(`difference of the medians ${timing.differenceMs.toFixed(2)} ms`);
  } finally {
    await stop(timingApp.proc);
  }

  // A failure here still leaves the figures above to report.
  const mysqlPhase = {
    skipped: null,
    error: null,
    origin: null,
    url: null,
    version: null,
    roles: null,
    userId: null,
    app: null,
    runs: [],
    targets: [],
    refresh: null,
  };
  try {
    await runMysqlPhase(measure, mysqlPhase);
  } catch (error) {
    if (interrupted) throw error;
    mysqlPhase.error = error instanceof Failure || error instanceof MysqlServerError ? error.message : (error?.stack ?? String(error));
    console.log(`\nThe MySQL phase failed: ${mysqlPhase.error}`);
  } finally {
    if (mysqlPhase.app) await stop(mysqlPhase.app.proc);
    await mysqlServer.stop();
  }
  // In the table and among the failed runs like the MySQL phase's wrk runs.
  if (mysqlPhase.refresh) runs.push(mysqlPhase.refresh);

  /** A ratio of paired rounds: the median of the rounds' ratios, and the wrk commands of both sides. */
  const pairRatio = (key, name) => ({
    name: `${name}, median of paired rounds`,
    value: medianOf(pairRatios[key]),
    rounds: pairRatios[key],
    target: TARGETS[key],
    commands: pairs[key].map((side) => medianRun(rounds[side]).command),
  });
  const ratios = {
    test: pairRatio('test', 'GET /test (valid token) / bare Fastify (the same 204)'),
    live: pairRatio('live', 'GET /health/live / bare Fastify (the same envelope)'),
    login: {
      name: 'POST /auth/login / raw bcrypt.compare',
      value: ratio(loginRun, bcryptRun),
      target: TARGETS.login,
      commands: [loginRun.command, bcryptRun.command],
    },
    rs256: pairRatio('rs256', 'GET /test RS256 token / HS256 token, same server'),
    es256: pairRatio('es256', 'GET /test ES256 token / HS256 token, same server'),
    jwks: pairRatio('jwks', 'GET /v1/auth/jwks / bare Fastify (the same JWK Set)'),
  };
  const failed = runs.filter((run) => run.problems.length > 0);
  const extra = { memory, refresh: [refreshRun, ...(mysqlPhase.refresh ? [mysqlPhase.refresh] : [])], timing };
  printReport(runs, ratios, failed, busy, mysqlPhase, extra);
  const resultsFile = await writeResults(runs, ratios, failed, busy, mysqlPhase, extra);
  const markdownFile = await writeMarkdown(runs, ratios, failed, busy, mysqlPhase, extra);
  console.log(`\nResults: ${resultsFile} and ${markdownFile}`);
  if (failed.some((run) => !mysqlPhase.runs.includes(run))) console.log(`\nLast lines the identity server wrote (LOG_LEVEL=warn):\n${lastLines(app.proc, 20)}`);
  if (mysqlPhase.app && (mysqlPhase.error || failed.some((run) => mysqlPhase.runs.includes(run)))) {
    console.log(`\nLast lines the identity server on MySQL wrote (LOG_LEVEL=warn):\n${lastLines(mysqlPhase.app.proc, 20)}`);
  }
  if (mysqlPhase.error) throw new Failure(`The MySQL phase failed: ${mysqlPhase.error}`);
  if (failed.length > 0)
    throw new Failure(`${failed.length} run(s) had errors or unexpected status codes: ${failed.map((r) => r.name.replace(/\s+/g, ' ')).join('; ')}`);
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

// ---------------------------------------------------------------- entry

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, async () => {
    if (interrupted) return;
    markInterrupted();
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
  if (!interrupted) console.error(`\n${error instanceof Failure || error instanceof MysqlServerError ? error.message : (error?.stack ?? error)}`);
} finally {
  if (!interrupted) await cleanUp();
}
if (!interrupted) process.exit(exitCode);
