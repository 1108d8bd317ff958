// Refresh rotations (issue 14): N sessions, each rotating its refresh token in a closed loop through
// POST /auth/session. Latency-bound (each rotation waits for the database), not CPU-bound, so a small
// Node driver on keep-alive connections is enough here; wrk cannot carry a token from one answer to the next request.
import http from 'node:http';
import { cpuTicks, startCpuAccounting, waitForIdle } from './load.mjs';
import { openSession } from './servers.mjs';
import { REFRESH_USER_AGENT, SETTINGS } from './settings.mjs';

/** One POST /auth/session with the token in the header and the cookie, as the v1 client sends it. */
function rotate(agent, baseUrl, refreshToken) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}/auth/session`,
      {
        method: 'POST',
        agent,
        headers: { 'user-agent': REFRESH_USER_AGENT, 'x-refresh-token': refreshToken, cookie: `token=${refreshToken}`, 'content-length': '0' },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, refreshToken: response.headers['x-refresh-token'], body }));
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error('timeout after 30 s')));
    request.on('error', reject);
    request.end();
  });
}

/**
 * Logs in SETTINGS.refreshSessions times (8 at a time: each is a bcrypt compare), then rotates every session
 * in a closed loop for the warm-up and SETTINGS.refreshSeconds; counts the rotations that start after the
 * warm-up and end inside the window. A session whose rotation fails stops (its token is spent); the failure is reported.
 */
export async function measureRefresh(name, app, { alsoOurs = [], database }) {
  process.stdout.write(`  ${name} ... `);
  const sessions = [];
  const total = SETTINGS.refreshSessions;
  for (let start = 0; start < total; start += 8) {
    const batch = Array.from({ length: Math.min(8, total - start) }, () => openSession(app.url, REFRESH_USER_AGENT));
    sessions.push(...(await Promise.all(batch)).map((s) => s.refreshToken));
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: total });
  await waitForIdle(app.proc, alsoOurs);

  const begin = performance.now();
  const measuredFrom = begin + SETTINGS.warmupSeconds * 1000;
  const end = measuredFrom + SETTINGS.refreshSeconds * 1000;
  const latencies = [];
  const failures = {};
  let usage = null;
  let ticksBefore = null;
  const startAccounting = (async () => {
    const wait = measuredFrom - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    usage = startCpuAccounting([app.proc.pid, ...alsoOurs]);
    ticksBefore = await cpuTicks(app.proc.pid);
  })();
  const loop = async (token) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      let result;
      try {
        result = await rotate(agent, app.url, token);
      } catch (error) {
        failures[error.message] = (failures[error.message] ?? 0) + 1;
        return;
      }
      const t1 = performance.now();
      if (result.status !== 204 || !result.refreshToken) {
        const key = `${result.status} ${result.body.slice(0, 120)}`;
        failures[key] = (failures[key] ?? 0) + 1;
        return;
      }
      if (t0 >= measuredFrom && t1 <= end) latencies.push(t1 - t0);
      token = result.refreshToken;
    }
  };
  await Promise.all(sessions.map(loop));
  await startAccounting;
  const ticksAfter = await cpuTicks(app.proc.pid);
  const otherCpu = usage ? await usage.othersShare() : 0;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : null);
  const errors = Object.values(failures).reduce((sum, n) => sum + n, 0);
  const problems = [];
  if (errors > 0)
    problems.push(
      `${errors} failed rotations: ${Object.entries(failures)
        .map(([k, n]) => `${n}× ${k}`)
        .join('; ')}`,
    );
  if (latencies.length === 0) problems.push('no completed rotations');
  const run = {
    name,
    rps: latencies.length / SETTINGS.refreshSeconds,
    p50: pct(50) ?? 0,
    p99: pct(99) ?? 0,
    requests: latencies.length,
    non2xx: 0,
    errors,
    problems,
    otherCpu,
    database,
    command: `Node driver: ${total} sessions, each POST /auth/session in a closed loop on keep-alive connections, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.refreshSeconds} s`,
    cpuUsPerRequest: ticksBefore === null || ticksAfter === null || latencies.length === 0 ? null : ((ticksAfter - ticksBefore) * 10_000) / latencies.length,
  };
  console.log(
    `${run.rps.toFixed(1)} rotations/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms${problems.length ? `  (${problems.join(', ')})` : ''}`,
  );
  return run;
}
