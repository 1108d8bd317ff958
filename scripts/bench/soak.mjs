// `npm run bench -- --soak` (issue 15): a long run of mixed load at a fixed, moderate rate on MariaDB/MySQL:
// 90 % authenticated GETs (GET /test, GET /user/{uid}, GET /role/list in turn), 8 % refresh rotations,
// 2 % password logins. Targets: no errors, p99 of the GETs under 50 ms, RSS growth under 10 % after warm-up.
// A Node driver, open loop: wrk cannot carry a refresh token from one answer to the next request, and a fixed
// arrival rate (not a closed loop) keeps a slow answer from lowering the load that measured it.
//
//   BENCH_SOAK_SECONDS=600   length of the run, warm-up included
//   BENCH_SOAK_RATE=100      requests per second, all kinds together
//   BENCH_SOAK_WARMUP=60     seconds not measured (at most a third of the run)
//   BENCH_DATABASE_URL       as for the rest of the bench; a throw-away MariaDB/MySQL server otherwise
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { findServerBinary, redactUrl, serverVersion } from '../lib/mysql-server.mjs';
import { stop } from './children.mjs';
import { otherCpuLoad, waitForIdle } from './load.mjs';
import { mysqlServer } from './mysql-phase.mjs';
import { openSession, rssMb, startApp } from './servers.mjs';
import { writeResultsSection } from './report.mjs';
import { ADMIN, BENCH_DATABASE, describeUrl, Failure, positiveInt, SETTINGS, sleep } from './settings.mjs';

export const SOAK = {
  seconds: positiveInt('BENCH_SOAK_SECONDS', 600),
  rate: positiveInt('BENCH_SOAK_RATE', 100),
  warmupSeconds: positiveInt('BENCH_SOAK_WARMUP', 60),
};
export const SOAK_TARGET = { errors: 0, getP99Ms: 50, memoryGrowth: 0.1 };
const MIX = [
  ['get', 0.9],
  ['refresh', 0.08],
  ['login', 0.02],
];
const SESSIONS = 40;
const USER_AGENT = 'identity-bench-soak/1';
const RSS_EVERY_MS = 5000;

export async function runSoak() {
  const warmupSeconds = Math.min(SOAK.warmupSeconds, Math.floor(SOAK.seconds / 3));
  let url = SETTINGS.databaseUrl;
  let origin = 'BENCH_DATABASE_URL';
  const alsoOurs = [];
  if (!url) {
    if (!findServerBinary()) throw new Failure('The soak runs on MariaDB/MySQL: install mariadb-server or set BENCH_DATABASE_URL.');
    console.log('Starting a throw-away MySQL server ...');
    const rootUrl = await mysqlServer.start();
    const conn = await mysql.createConnection({ uri: rootUrl });
    await conn.query(`CREATE DATABASE \`${BENCH_DATABASE}\` CHARACTER SET utf8mb4`);
    await conn.end();
    url = `${rootUrl}/${BENCH_DATABASE}`;
    origin = 'throw-away server';
    alsoOurs.push(mysqlServer.proc.pid);
  }
  const version = await serverVersion(url);
  console.log(`MySQL: ${version} at ${redactUrl(url)} (${origin})`);
  const app = await startApp({ DB_TYPE: 'mysql', DATABASE_URL: url }, `mysql ${describeUrl(url)}`);
  try {
    const admin = await openSession(app.url, USER_AGENT);
    const auth = { authorization: `Bearer ${admin.accessToken}` };
    const userId = (await getJson(app.url, '/user/info', auth)).data?.user?.userId;
    if (!Number.isInteger(userId)) throw new Failure('GET /user/info gave no userId');
    const getPaths = ['/test', `/user/${userId}`, '/role/list?pageNum=1&pageSize=10'];
    // Refresh tokens of idle sessions; a session is taken out while its rotation is in flight.
    const idle = [];
    for (let n = 0; n < SESSIONS; n += 8)
      idle.push(...(await Promise.all(Array.from({ length: 8 }, () => openSession(app.url, USER_AGENT)))).map((s) => s.refreshToken));
    await waitForIdle(app.proc, alsoOurs);
    const busy = await otherCpuLoad(app.proc);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const begin = performance.now();
    const measuredFrom = begin + warmupSeconds * 1000;
    const end = begin + SOAK.seconds * 1000;
    const stats = { get: [], refresh: [], login: [] };
    const counts = { get: 0, refresh: 0, login: 0, refreshSkipped: 0 };
    const errors = {};
    const rss = [];
    const fail = (key) => (errors[key] = (errors[key] ?? 0) + 1);
    let getTurn = 0;
    const inFlight = new Set();

    const one = async (kind) => {
      const t0 = performance.now();
      let ok;
      if (kind === 'get') {
        const urlPath = getPaths[getTurn++ % getPaths.length];
        const answer = await send(agent, app.url, 'GET', urlPath, { ...auth, 'user-agent': USER_AGENT });
        ok = answer.status === (urlPath === '/test' ? 204 : 200);
        if (!ok) fail(`GET ${urlPath.split('?')[0]} ${answer.status} ${answer.body.slice(0, 100)}`);
      } else if (kind === 'refresh') {
        const token = idle.shift();
        if (!token) {
          counts.refreshSkipped++;
          return;
        }
        const answer = await send(agent, app.url, 'POST', '/auth/session', {
          'user-agent': USER_AGENT,
          'x-refresh-token': token,
          cookie: `token=${token}`,
          'content-length': '0',
        });
        const next = answer.headers?.['x-refresh-token'];
        ok = answer.status === 204 && typeof next === 'string';
        if (ok) idle.push(next);
        else fail(`POST /auth/session ${answer.status} ${answer.body.slice(0, 100)}`);
        if (!ok && answer.status === 0) idle.push(token);
      } else {
        const answer = await send(
          agent,
          app.url,
          'POST',
          '/auth/login',
          { 'user-agent': USER_AGENT, 'content-type': 'application/json' },
          JSON.stringify(ADMIN),
        );
        const next = answer.headers?.['x-refresh-token'];
        ok = answer.status === 200 && typeof next === 'string';
        // The new session joins the rotating ones and the oldest idle one leaves: the pool stays the same size.
        if (ok) {
          idle.push(next);
          idle.shift();
        } else fail(`POST /auth/login ${answer.status} ${answer.body.slice(0, 100)}`);
      }
      const t1 = performance.now();
      counts[kind]++;
      if (ok && t0 >= measuredFrom && t1 <= end) stats[kind].push(t1 - t0);
    };

    console.log(
      `\nSoak: ${SOAK.seconds} s at ${SOAK.rate} req/s (${MIX.map(([k, w]) => `${w * 100} % ${k}`).join(', ')}), ${warmupSeconds} s warm-up not measured ...`,
    );
    const sampler = setInterval(async () => {
      const at = performance.now();
      const mb = await rssMb(app.proc.pid);
      if (mb !== null) rss.push({ s: (at - begin) / 1000, mb });
    }, RSS_EVERY_MS);
    let progressAt = begin;
    let sent = 0;
    while (performance.now() < end) {
      // Open loop: as many requests as are due by now, whatever is still in flight.
      const due = Math.floor(((performance.now() - begin) / 1000) * SOAK.rate);
      for (; sent < due; sent++) {
        const job = one(pick()).catch((error) => fail(`driver: ${error.message}`));
        inFlight.add(job);
        void job.finally(() => inFlight.delete(job));
      }
      if (performance.now() - progressAt >= 60_000) {
        progressAt = performance.now();
        const last = rss.at(-1);
        console.log(
          `  ${Math.round((progressAt - begin) / 1000)} s: ${sent} sent, ${Object.values(errors).reduce((a, b) => a + b, 0)} errors, RSS ${last?.mb.toFixed(1)} MB`,
        );
      }
      await sleep(5);
    }
    clearInterval(sampler);
    await Promise.all(inFlight);
    agent.destroy();

    const result = summarizeSoak({ stats, counts, errors, rss, warmupSeconds, busy, version, origin });
    printSoak(result);
    const jsonFile = path.join(os.tmpdir(), `identity-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    await fsp.writeFile(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
    await writeResultsSection('soak', soakMarkdown(result));
    console.log(`\nResults: ${jsonFile}, and the soak section of bench/RESULTS.md`);
    if (!result.meetsTargets) throw new Failure('The soak missed a target (see above).');
  } finally {
    await stop(app.proc);
  }
}

function pick() {
  let r = Math.random();
  for (const [kind, weight] of MIX) {
    if (r < weight) return kind;
    r -= weight;
  }
  return MIX[0][0];
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
}

export function summarizeSoak({ stats, counts, errors, rss, warmupSeconds, busy, version, origin }) {
  const latency = Object.fromEntries(
    Object.entries(stats).map(([kind, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return [kind, { measured: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null }];
    }),
  );
  // RSS: the median of the first minute after the warm-up (a sixth of the measured time when shorter)
  // against the median of as long a stretch at the end: single samples catch a garbage collection's peaks.
  const measured = rss.filter((sample) => sample.s >= warmupSeconds);
  const span = Math.max(1, Math.min(12, Math.floor(measured.length / 6)));
  const rssStart = median(measured.slice(0, span).map((sample) => sample.mb));
  const rssEnd = median(measured.slice(-span).map((sample) => sample.mb));
  const growth = rssStart && rssEnd ? (rssEnd - rssStart) / rssStart : null;
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  const getP99 = latency.get.p99;
  const checks = [
    { name: 'errors (any kind, warm-up included)', value: errorCount, target: `= ${SOAK_TARGET.errors}`, meets: errorCount === SOAK_TARGET.errors },
    {
      name: 'p99 of the authenticated GETs',
      value: getP99,
      unit: 'ms',
      target: `< ${SOAK_TARGET.getP99Ms} ms`,
      meets: getP99 !== null && getP99 < SOAK_TARGET.getP99Ms,
    },
    {
      name: 'RSS growth after warm-up',
      value: growth === null ? null : growth * 100,
      unit: '%',
      target: `< ${SOAK_TARGET.memoryGrowth * 100} %`,
      meets: growth !== null && growth < SOAK_TARGET.memoryGrowth,
    },
  ];
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    database: version,
    server: origin,
    otherCpuLoad: busy,
    settings: { seconds: SOAK.seconds, rate: SOAK.rate, warmupSeconds, mix: Object.fromEntries(MIX), sessions: SESSIONS, bcryptRounds: SETTINGS.bcryptRounds },
    counts,
    errors,
    latency,
    rss: { startMb: rssStart, endMb: rssEnd, growth, samples: rss },
    checks,
    meetsTargets: checks.every((check) => check.meets),
  };
}

const fmt = (value, digits = 1) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));

function printSoak(result) {
  console.log(
    `\nSoak results (${result.settings.seconds} s at ${result.settings.rate} req/s on ${result.database}; ${result.settings.warmupSeconds} s warm-up):`,
  );
  console.log(`  answered: ${result.counts.get} GETs, ${result.counts.refresh} refreshes, ${result.counts.login} logins`);
  for (const [kind, l] of Object.entries(result.latency)) {
    console.log(`  ${kind.padEnd(8)} measured ${String(l.measured).padStart(7)}  p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms  max ${fmt(l.max)} ms`);
  }
  console.log(`  RSS ${fmt(result.rss.startMb)} MB after warm-up -> ${fmt(result.rss.endMb)} MB at the end`);
  for (const check of result.checks) {
    console.log(
      `  ${check.meets ? 'OK  ' : 'MISS'} ${check.name}: ${typeof check.value === 'number' ? fmt(check.value, check.unit ? 1 : 0) : 'n/a'}${check.unit ? ` ${check.unit}` : ''} (target ${check.target})`,
    );
  }
  if (Object.keys(result.errors).length) console.log(`  errors: ${JSON.stringify(result.errors)}`);
  if (result.otherCpuLoad > 0.1) console.log(`  WARNING: other processes used ${(result.otherCpuLoad * 100).toFixed(0)} % of the CPU before the run`);
}

function soakMarkdown(result) {
  const rows = result.checks.map(
    (check) =>
      `| ${check.name} | ${typeof check.value === 'number' ? fmt(check.value, check.unit ? 1 : 0) : 'n/a'}${check.unit ? ` ${check.unit}` : ''} | ${check.target} | ${check.meets ? 'met' : '**missed**'} |`,
  );
  const latency = Object.entries(result.latency).map(([kind, l]) => `| ${kind} | ${l.measured} | ${fmt(l.p50)} | ${fmt(l.p99)} | ${fmt(l.max)} |`);
  return [
    '## Soak (`npm run bench -- --soak`)',
    '',
    `${result.date}: ${result.settings.seconds} s at ${result.settings.rate} req/s (90 % authenticated GETs — GET /test, GET /user/{uid}, GET /role/list in turn —, 8 % refreshes, 2 % logins at bcrypt cost ${result.settings.bcryptRounds}), ${result.settings.warmupSeconds} s warm-up; ${result.database} (${result.server}); Node ${result.node}, ${result.cpus} CPUs; other processes used ${(result.otherCpuLoad * 100).toFixed(0)} % of the CPU before the run.`,
    '',
    '| Check | Value | Target | |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| Kind | measured | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|',
    ...latency,
    '',
    `Answered: ${result.counts.get} GETs, ${result.counts.refresh} refreshes, ${result.counts.login} logins. RSS ${fmt(result.rss.startMb)} MB after the warm-up, ${fmt(result.rss.endMb)} MB at the end (medians of the first and last minute).`,
    ...(Object.keys(result.errors).length ? ['', `Errors: \`${JSON.stringify(result.errors)}\``] : []),
  ].join('\n');
}

/** One request on the keep-alive agent; status 0 when it failed without an answer. */
function send(agent, baseUrl, method, urlPath, headers, body) {
  return new Promise((resolve) => {
    const request = http.request(`${baseUrl}${urlPath}`, { method, agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: text }));
    });
    request.setTimeout(30_000, () => request.destroy(new Error('timeout after 30 s')));
    request.on('error', (error) => resolve({ status: 0, headers: {}, body: error.message }));
    request.end(body);
  });
}

async function getJson(baseUrl, urlPath, headers) {
  const response = await fetch(`${baseUrl}${urlPath}`, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Failure(`GET ${urlPath} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}
