// `npm run bench -- --scaled` (issue 16): one, two and three identity servers behind nginx (round robin,
// keep-alive upstream, as docker-compose's `scaled` profile), on one throw-away MariaDB (or BENCH_DATABASE_URL),
// without Redis and with it (when redis-server is installed): GET /test and refresh rotations through the proxy,
// each size's throughput against one instance's behind the same proxy (the scaling factor), and the time a
// revocation takes to reach every instance: a session logged out through one instance, its access token
// polled on the two others until both refuse it, BENCH_SCALED_REVOCATIONS (100) times; median and max.
// On this 2-core machine three servers, nginx, MariaDB and wrk share two cores: the factors say what one more
// instance costs or brings here, not on a machine with a core per instance.
//
//   BENCH_SCALED_REVOCATIONS=100   revocations timed per variant
//   BENCH_DURATION, BENCH_REFRESH_SESSIONS, BENCH_REFRESH_DURATION, BENCH_CONNECTIONS as for the bench
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../lib/free-port.mjs';
import { findServerBinary, redactUrl, serverVersion } from '../lib/mysql-server.mjs';
import { stop, track } from './children.mjs';
import { load, summarize, waitForIdle } from './load.mjs';
import { mysqlServer } from './mysql-phase.mjs';
import { measureRefresh } from './refresh.mjs';
import { writeResultsSection } from './report.mjs';
import { login, openSession, startApp } from './servers.mjs';
import { BENCH_DATABASE, Failure, positiveInt, SETTINGS, sleep, tmpDir } from './settings.mjs';

const REVOCATIONS = positiveInt('BENCH_SCALED_REVOCATIONS', 100);
const SIZES = [1, 2, 3];
const USER_AGENT = 'identity-bench-scaled/1';
/** How often the other instances are asked whether a revoked token still works. */
const POLL_EVERY_MS = 2;
const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

function findBinary(name) {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...SEARCH_DIRS]) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** nginx in front of the given instances: one worker, round robin over a keep-alive upstream, as deploy/ does. */
async function startNginx(binary, instances) {
  const dir = await fsp.mkdtemp(path.join(tmpDir, 'nginx-'));
  const port = await freePort();
  const config = `worker_processes 1;
daemon off;
${process.getuid?.() === 0 ? 'user root;\n' : ''}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream identity {
${instances.map((app) => `    server ${new URL(app.url).host};`).join('\n')}
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://identity;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
  const file = path.join(dir, 'nginx.conf');
  await fsp.writeFile(file, config);
  const proc = track(spawn(binary, ['-c', file, '-p', dir, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health/live`)).ok) return { proc, url, pids: () => childPids(proc.pid) };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Failure(`nginx did not start: ${await fsp.readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')}`);
}

/** nginx's master and its worker: both count as ours when the CPU of others is measured. */
async function childPids(pid) {
  try {
    const text = await fsp.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return [pid, ...text.trim().split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

async function startRedis(binary) {
  const dir = await fsp.mkdtemp(path.join(tmpDir, 'redis-'));
  const port = await freePort();
  const proc = track(
    spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', path.join(dir, 'redis.log')], {
      stdio: 'ignore',
    }),
  );
  const url = `redis://127.0.0.1:${port}`;
  const { default: Redis } = await import(pathToRoot('node_modules/ioredis/built/index.js'));
  for (let attempt = 0; attempt < 100; attempt++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return { proc, url };
    } catch {
      client.disconnect();
      await sleep(50);
    }
  }
  throw new Failure('redis-server did not answer PING');
}

function pathToRoot(relative) {
  return new URL(`../../${relative}`, import.meta.url).href;
}

async function freshDatabase(rootUrl, name) {
  const conn = await mysql.createConnection({ uri: rootUrl });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await conn.end();
  return `${rootUrl}/${name}`;
}

/** GET /test through the proxy, then refresh rotations through it, with `size` instances behind it. */
async function measureSize(nginxBinary, instances, size, label, alsoOurs) {
  const serving = instances.slice(0, size);
  const nginx = await startNginx(nginxBinary, serving);
  try {
    const ours = [...serving.slice(1).map((app) => app.proc.pid), ...(await nginx.pids()), ...alsoOurs];
    const token = await login(nginx.url);
    const get = summarize(
      `${label} GET /test via nginx, ${size} instance${size > 1 ? 's' : ''}`,
      await load(serving[0].proc, { url: `${nginx.url}/test`, connections: SETTINGS.connections, headers: { authorization: `Bearer ${token}` } }, ours),
    );
    console.log(`  ${get.name} ... ${get.rps.toFixed(1)} req/s${get.problems.length ? ` (${get.problems.join(', ')})` : ''}`);
    // Logins 4 at a time: each holds a point of the per-account-and-address limit (LOGIN_MAX_FAILURES, 5) until
    // it is judged, and the instances share it, so more concurrent logins of one account from one address than
    // that are refused 429 even when right (on one instance they wait for their turn instead).
    const refresh = await measureRefresh(
      `${label} refresh via nginx, ${size} instance${size > 1 ? 's' : ''}`,
      { url: nginx.url, proc: serving[0].proc },
      { alsoOurs: ours, loginConcurrency: 4 },
    );
    return { size, get, refresh };
  } finally {
    await stop(nginx.proc);
  }
}

/**
 * A session logged in on the first instance and logged out there; the time from the logout's answer until
 * the second and third both refuse its access token (each polled every POLL_EVERY_MS).
 */
async function measureRevocations(instances) {
  const [first, ...others] = instances;
  const times = [];
  for (let n = 0; n < REVOCATIONS; n++) {
    const { accessToken } = await openSession(first.url, USER_AGENT);
    const auth = { authorization: `Bearer ${accessToken}` };
    for (const app of others) {
      const status = (await fetch(`${app.url}/test`, { headers: auth })).status;
      if (status !== 204) throw new Failure(`a fresh token was answered ${status} by ${app.url}`);
    }
    const out = await fetch(`${first.url}/auth/logout`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    const loggedOut = performance.now();
    if (out.status !== 200) throw new Failure(`POST /auth/logout answered ${out.status}: ${await out.text()}`);
    const refused = await Promise.all(
      others.map(async (app) => {
        for (;;) {
          const status = (await fetch(`${app.url}/test`, { headers: auth })).status;
          if (status === 401) return performance.now();
          if (status !== 204) throw new Failure(`a revoked token was answered ${status} by ${app.url}`);
          if (performance.now() - loggedOut > 30_000) throw new Failure(`${app.url} still accepted a revoked token after 30 s`);
          await sleep(POLL_EVERY_MS);
        }
      }),
    );
    times.push(Math.max(...refused) - loggedOut);
  }
  times.sort((a, b) => a - b);
  return { count: times.length, medianMs: times[Math.floor(times.length / 2)], maxMs: times[times.length - 1] };
}

async function runVariant(nginxBinary, rootUrl, redis, alsoOurs) {
  const label = redis ? 'redis' : 'db   ';
  const url = await freshDatabase(rootUrl, `${BENCH_DATABASE}_scaled_${redis ? 'redis' : 'db'}`);
  // Logins here only open sessions to measure with: bcrypt at its cheapest, so that they do not dominate the run.
  const env = { DB_TYPE: 'mysql', DATABASE_URL: url, BCRYPT_ROUNDS: '4', TRUST_PROXY: '127.0.0.1', ...(redis ? { REDIS_URL: redis.url } : {}) };
  const instances = [];
  try {
    for (let n = 0; n < Math.max(...SIZES); n++) instances.push(await startApp(env, `mysql, instance ${n + 1}${redis ? ', Redis' : ''}`));
    for (const app of instances) await waitForIdle(app.proc, alsoOurs);
    const sizes = [];
    for (const size of SIZES)
      sizes.push(await measureSize(nginxBinary, instances, size, label, [...instances.slice(size).map((app) => app.proc.pid), ...alsoOurs]));
    process.stdout.write(`  ${label} revocation reaching 2 other instances (${REVOCATIONS} times) ... `);
    const revocation = await measureRevocations(instances);
    console.log(`median ${revocation.medianMs.toFixed(1)} ms, max ${revocation.maxMs.toFixed(1)} ms`);
    return { redis: Boolean(redis), sizes, revocation };
  } finally {
    for (const app of instances) await stop(app.proc);
  }
}

const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : 'n/a');

function scaledMarkdown(result) {
  const rows = [];
  for (const variant of result.variants) {
    const [one] = variant.sizes;
    for (const { size, get, refresh } of variant.sizes) {
      rows.push(
        `| ${variant.redis ? 'Redis' : 'database only'} | ${size} | ${fmt(get.rps, 0)} | ${fmt(get.rps / one.get.rps, 2)} | ${fmt(get.p99, 2)} | ${fmt(refresh.rps, 0)} | ${fmt(refresh.rps / one.refresh.rps, 2)} | ${fmt(refresh.p99, 1)} | ${[...get.problems, ...refresh.problems].join('; ')} |`,
      );
    }
  }
  const revocations = result.variants.map(
    (v) =>
      `| ${v.redis ? 'Redis (pub/sub, and the revocation log polled less often)' : 'database only (revocation log polled)'} | ${v.revocation.count} | ${fmt(v.revocation.medianMs)} | ${fmt(v.revocation.maxMs)} |`,
  );
  return [
    '## Scaled (`npm run bench -- --scaled`)',
    '',
    `${result.date}: 1, 2 and 3 identity servers (the bundle, BCRYPT_ROUNDS=4) behind nginx ${result.nginx} (one worker, round robin, keep-alive upstream) on ${result.database}; Node ${result.node}, ${result.cpus} CPUs, all on this machine with wrk. GET /test: \`wrk -t1 -c${SETTINGS.connections} -d${SETTINGS.duration}s\` through nginx after a ${SETTINGS.warmupSeconds} s warm-up; refresh: ${SETTINGS.refreshSessions} sessions rotating through nginx (wrk with a Lua token queue), ${SETTINGS.refreshSeconds} s. The factor is the throughput over one instance's behind the same proxy. On ${result.cpus} cores, three servers, nginx, MariaDB${result.variants.some((v) => v.redis) ? ', Redis' : ''} and wrk share the CPU: a factor under 1 is what an instance more costs here, not what it brings on machines of their own.`,
    '',
    '| Shared state | Instances | GET /test req/s | factor | p99 ms | refresh rotations/s | factor | p99 ms | problems |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Revocation reaching every instance: a session logged in and logged out (POST /auth/logout) through the first instance; from the logout's answer until the two others both refuse its access token (GET /test polled every ${POLL_EVERY_MS} ms on each).`,
    '',
    '| Fan-out | revocations | median ms | max ms |',
    '|---|---|---|---|',
    ...revocations,
  ].join('\n');
}

export async function runScaled() {
  const nginxBinary = findBinary('nginx');
  if (!nginxBinary)
    throw new Failure('The scaled bench runs the servers behind nginx: install it (Debian: apt-get install nginx-light or nginx) and run it again.');
  const redisBinary = findBinary('redis-server');
  let rootUrl = SETTINGS.databaseUrl ? SETTINGS.databaseUrl.replace(/\/[^/]*$/, '') : null;
  const alsoOurs = [];
  if (!rootUrl) {
    if (!findServerBinary()) throw new Failure('The scaled bench runs on MariaDB/MySQL: install mariadb-server or set BENCH_DATABASE_URL.');
    console.log('Starting a throw-away MySQL server ...');
    rootUrl = await mysqlServer.start();
    alsoOurs.push(mysqlServer.proc.pid);
  }
  const database = `${await serverVersion(rootUrl)} at ${redactUrl(rootUrl)}`;
  console.log(`MySQL: ${database}`);
  const nginxVersion = await new Promise((resolve) => {
    const proc = spawn(nginxBinary, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    proc.stderr.on('data', (chunk) => (text += chunk));
    proc.on('close', () => resolve(text.trim().replace(/^nginx version: /, '')));
  });
  console.log(`nginx: ${nginxVersion}; redis-server: ${redisBinary ?? 'not installed (the Redis variant is skipped)'}\n`);

  const variants = [await runVariant(nginxBinary, rootUrl, null, alsoOurs)];
  if (redisBinary) {
    const redis = await startRedis(redisBinary);
    try {
      variants.push(await runVariant(nginxBinary, rootUrl, redis, [...alsoOurs, redis.proc.pid]));
    } finally {
      await stop(redis.proc);
    }
  }
  const result = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, nginx: nginxVersion, database, variants };
  await fsp.writeFile(path.join(tmpDir, 'scaled.json'), JSON.stringify(result, null, 2));
  await writeResultsSection('scaled', scaledMarkdown(result));
  console.log(`\nWritten to the scaled section of bench/RESULTS.md; JSON in ${path.join(tmpDir, 'scaled.json')}`);
  if (!SETTINGS.databaseUrl) await mysqlServer.stop();
}
