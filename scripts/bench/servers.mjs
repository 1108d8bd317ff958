// Building the app and starting the servers the bench loads: the identity server and a bare Fastify.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundle.mjs';
import { freePort } from '../lib/free-port.mjs';
import { childOutput, runToEnd, tail, track } from './children.mjs';
import { ADMIN, BENCH_GATEWAY, describeDatabase, Failure, READY_TIMEOUT_MS, requireFromRoot, ROOT, SETTINGS, sleep, tmpDir } from './settings.mjs';

/** The same for both identity servers (SQLite and MySQL). */
const JWT_SECRET = randomBytes(48).toString('base64url');

export async function build() {
  console.log('Building (tsc -p tsconfig.build.json, then scripts/bundle.mjs) ...');
  const { code, output } = await runToEnd(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
  if (code !== 0) throw new Failure(`The build failed:\n${output}`);
  await bundle();
}

/** The database of the first phase: BENCH_DATABASE_URL, or SQLite in the temp dir. */
export function mainDatabase() {
  return SETTINGS.databaseUrl
    ? { DB_TYPE: 'mysql', DATABASE_URL: SETTINGS.databaseUrl }
    : { DB_TYPE: 'sqlite', SQLITE_PATH: path.join(tmpDir, 'bench.sqlite') };
}

export async function startApp(database, description = describeDatabase()) {
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
  const url = `http://127.0.0.1:${port}`;
  console.log(`Starting the identity server on ${url} (${description}) ...`);
  const started = performance.now();
  const proc = startServer(process.execPath, [...serverNodeArgs(), path.join(ROOT, 'dist/server.js')], { cwd: tmpDir, env });
  await waitUntilReady(proc, `${url}/health`, 'identity server');
  /** From the spawn to the first 200 of GET /health, polled every 25 ms. */
  const readyMs = performance.now() - started;
  return { proc, url, readyMs };
}

/** VmRSS of a process in MB (/proc/<pid>/status), or null where /proc is not available. */
export async function rssMb(pid) {
  try {
    const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/**
 * A bare Fastify answering what the identity server answers, so that each ratio compares the same answer: GET /test
 * a bare 204, GET /health/live the given liveness body, GET /v1/auth/jwks the given JWK Set text with its
 * Cache-Control, as a gateway receives it. Synchronous handlers, as the identity server's fast routes are.
 */
export async function startBareFastify({ liveBody, jwksBody, headers }) {
  const port = await freePort();
  const fastifyUrl = pathToFileURL(requireFromRoot.resolve('fastify')).href;
  const file = path.join(tmpDir, 'bare-fastify.mjs');
  await fsp.writeFile(
    file,
    `import Fastify from ${JSON.stringify(fastifyUrl)};
const app = Fastify({ logger: false });
const json = 'application/json; charset=utf-8';
const headers = ${JSON.stringify(headers)};
app.get('/test', (request, reply) => { reply.headers(headers.test).code(204).send(); });
const live = ${JSON.stringify(liveBody)};
app.get('/health/live', (request, reply) => { reply.headers(headers.live).type(json).send(live); });
const jwks = ${JSON.stringify(jwksBody)};
app.get('/v1/auth/jwks', (request, reply) => { reply.headers(headers.jwks).type(json).send(jwks); });
await app.listen({ port: ${port}, host: '127.0.0.1' });
`,
  );
  const proc = startServer(process.execPath, [file], { cwd: tmpDir, env: baseEnv() });
  const url = `http://127.0.0.1:${port}`;
  console.log(`Starting bare Fastify on ${url} ...`);
  await waitUntilReady(proc, `${url}/health/live`, 'bare Fastify');
  return { proc, url };
}

/** Only what every child needs, the same for all, so shell settings (LOG_REQUESTS, DB_POOL_SIZE, ...) cannot skew one side. */
/** BENCH_NODE_ARGS: options for the identity server's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a run. */
function serverNodeArgs() {
  return (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export function baseEnv() {
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
    await sleep(25);
  }
  throw new Failure(`The ${name} did not answer 200 on ${url} within ${READY_TIMEOUT_MS / 1000} s.\n${childOutput(proc)}`);
}

export async function login(baseUrl) {
  return (await openSession(baseUrl)).accessToken;
}

/** POST /auth/login as the administrator: the access token and the refresh token (header, equal to the cookie). */
export async function openSession(baseUrl, userAgent) {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(userAgent ? { 'user-agent': userAgent } : {}) },
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
  const refreshToken = response.headers.get('x-refresh-token');
  if (!refreshToken) throw new Failure('POST /auth/login: no X-Refresh-Token header');
  return { accessToken: token, refreshToken };
}

/** A JWT ticket for BENCH_GATEWAY, through the API; answers the gateway's JWKS text, which must list its key, and its Cache-Control. */
export async function createBenchTicket(baseUrl, token) {
  const created = await fetch(`${baseUrl}/v1/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      gatewayId: BENCH_GATEWAY,
      name: `bench-${randomBytes(4).toString('hex')}`,
      ticketType: 'JWT',
      validEndTime: new Date(Date.now() + 86400_000).toISOString(),
    }),
  });
  const text = await created.text();
  if (created.status !== 200) throw new Failure(`POST /v1/auth answered ${created.status}: ${text}`);
  const kid = JSON.parse(JSON.parse(text).data.serverKey).kid;
  const response = await fetch(`${baseUrl}/v1/auth/jwks?gatewayId=${BENCH_GATEWAY}`);
  const jwks = await response.text();
  if (!JSON.parse(jwks).keys?.some((key) => key.kid === kid)) throw new Failure(`GET /v1/auth/jwks does not list the new ticket's key ${kid}: ${jwks}`);
  return { jwksBody: jwks, jwksCacheControl: response.headers.get('cache-control') };
}

/** Headers of the transport (and the type, set by each route) are Fastify's own; the rest bare Fastify must send too. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'transfer-encoding']);

/** The headers our answer at `url` carries beyond the transport's, for bare Fastify to send the same. */
export async function answerHeaders(url, headers = {}) {
  const response = await fetch(url, { headers });
  await response.text();
  return Object.fromEntries([...response.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name)));
}

/** The body GET /health/live answers (no Accept-Language: the Chinese one), for bare Fastify to send the same. */
export async function livenessBody(baseUrl) {
  const response = await fetch(`${baseUrl}/health/live`);
  const text = await response.text();
  if (response.status !== 200) throw new Failure(`GET /health/live answered ${response.status}: ${text}`);
  return text;
}
