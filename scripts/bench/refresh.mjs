// Refresh rotations (issue 14): N sessions, each rotating its refresh token in a closed loop through
// POST /auth/session, driven by wrk. Each request needs the token of the previous answer: a Lua script keeps
// the sessions' current tokens in a queue, a request takes one and its answer puts the successor back, so N
// connections keep N sessions rotating. A Node driver cost 0.2 of a core at 2k rotations/s, taken from the
// server on this 2-core machine; wrk costs a fraction of that.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { runWrk } from '../lib/wrk.mjs';
import { cpuTicks, startCpuAccounting, waitForIdle } from './load.mjs';
import { openSession } from './servers.mjs';
import { REFRESH_USER_AGENT, SETTINGS, tmpDir, wrkPath } from './settings.mjs';

/**
 * wrk's script: request() takes a token from the queue and sends it as the v1 client does (header and
 * cookie); response() puts the successor back on a 204, else counts a failure, which ends that session (its
 * token is spent). done() prints the failures as one line the bench reads.
 */
function rotationScript(tokens) {
  return `local tokens = { ${tokens.map((t) => JSON.stringify(t)).join(', ')} }
failures = 0
firstFailure = ""
local threads = {}
function setup(thread) table.insert(threads, thread) end
request = function()
  local token = table.remove(tokens)
  if token == nil then
    failures = failures + 1
    if firstFailure == "" then firstFailure = "no session left" end
    return wrk.format("POST", "/auth/session", { ["User-Agent"] = ${JSON.stringify(REFRESH_USER_AGENT)}, ["Content-Length"] = "0" })
  end
  return wrk.format("POST", "/auth/session", {
    ["User-Agent"] = ${JSON.stringify(REFRESH_USER_AGENT)},
    ["X-Refresh-Token"] = token,
    ["Cookie"] = "token=" .. token,
    ["Content-Length"] = "0",
  })
end
response = function(status, headers, body)
  local successor = headers["x-refresh-token"] or headers["X-Refresh-Token"]
  if status == 204 and successor then
    table.insert(tokens, successor)
  else
    failures = failures + 1
    if firstFailure == "" then firstFailure = status .. " " .. string.sub(body, 1, 120) end
  end
end
done = function()
  local total, first = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("failures")
    if first == "" then first = thread:get("firstFailure") end
  end
  io.write("ROTATION_FAILURES " .. total .. " " .. first .. "\\n")
end
`;
}

async function openSessions(app, count, concurrency) {
  const tokens = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, () => openSession(app.url, REFRESH_USER_AGENT));
    tokens.push(...(await Promise.all(batch)).map((s) => s.refreshToken));
  }
  return tokens;
}

async function rotate(app, tokens, seconds) {
  const script = path.join(tmpDir, `wrk-refresh-${randomBytes(4).toString('hex')}.lua`);
  await fsp.writeFile(script, rotationScript(tokens));
  const result = await runWrk({ wrk: wrkPath(), url: `${app.url}/auth/session`, connections: tokens.length - 1, seconds, script });
  const [, failures = '0', firstFailure = ''] = /^ROTATION_FAILURES (\d+) ?(.*)$/m.exec(result.output) ?? [];
  return { ...result, failures: Number(failures), firstFailure };
}

/**
 * Logs in 2 × (SETTINGS.refreshSessions + 1) times (loginConcurrency at a time: each is a bcrypt compare); the first half rotates
 * for the warm-up, the second for the measured SETTINGS.refreshSeconds, each on an idle server.
 */
export async function measureRefresh(name, app, { alsoOurs = [], database, loginConcurrency = 8 }) {
  process.stdout.write(`  ${name} ... `);
  const total = SETTINGS.refreshSessions;
  // One session more than connections: wrk calls request() once before its connections start (to see
  // whether the script builds requests), and that call takes a token no connection sends.
  const [warmup, measured] = [await openSessions(app, total + 1, loginConcurrency), await openSessions(app, total + 1, loginConcurrency)];
  await waitForIdle(app.proc, alsoOurs);
  await rotate(app, warmup, SETTINGS.warmupSeconds);
  await waitForIdle(app.proc, alsoOurs);

  const usage = startCpuAccounting([app.proc.pid, ...alsoOurs]);
  const ticksBefore = await cpuTicks(app.proc.pid);
  const result = await rotate(app, measured, SETTINGS.refreshSeconds);
  const ticksAfter = await cpuTicks(app.proc.pid);
  const otherCpu = await usage.othersShare();

  const problems = [];
  if (result.failures > 0) problems.push(`${result.failures} failed rotations (the first: ${result.firstFailure})`);
  if (result.errors > 0) problems.push(`${result.errors} socket errors (${result.timeouts} timeouts)`);
  if (result.requests === 0) problems.push('no completed rotations');
  const completed = result.requests - result.failures;
  const run = {
    name,
    rps: result.rps,
    p50: result.p50 ?? 0,
    p99: result.p99 ?? 0,
    requests: result.requests,
    non2xx: result.non2xx,
    errors: result.failures + result.errors,
    problems,
    otherCpu,
    database,
    command: `${result.command} (Lua: ${total} sessions in a token queue, each request takes one and its answer returns the successor; ${SETTINGS.warmupSeconds} s warm-up on ${total} other sessions)`,
    cpuUsPerRequest: ticksBefore === null || ticksAfter === null || completed <= 0 ? null : ((ticksAfter - ticksBefore) * 10_000) / completed,
  };
  console.log(
    `${run.rps.toFixed(1)} rotations/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms${problems.length ? `  (${problems.join(', ')})` : ''}`,
  );
  return run;
}
