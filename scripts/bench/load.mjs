// Load runs with wrk, CPU accounting on a shared machine, and the raw bcrypt baseline.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { requestScript, runWrk } from '../lib/wrk.mjs';
import { runToEnd } from './children.mjs';
import { baseEnv } from './servers.mjs';
import { ADMIN, Failure, IDLE_TIMEOUT_MS, requireFromRoot, SETTINGS, sleep, tmpDir, wrkPath } from './settings.mjs';

/**
 * A discarded warm-up run (unless warmup is false: the server is warm from an earlier round), then the
 * measured run with the same options, each starting on an idle server. opts: url, connections, duration
 * (s), headers, and method + body (sent through a Lua script written to the temp dir).
 */
export async function load(server, opts, alsoOurs = [], { warmup = true } = {}) {
  const { url, connections, headers = {}, method = 'GET', body, duration = SETTINGS.duration } = opts;
  let script;
  let cliHeaders = headers;
  if (method !== 'GET' || body !== undefined) {
    script = path.join(tmpDir, `wrk-${randomBytes(4).toString('hex')}.lua`);
    await fsp.writeFile(script, requestScript({ method, headers, body }));
    cliHeaders = {};
  }
  const common = { wrk: wrkPath(), url, connections, headers: cliHeaders, script };
  await waitForIdle(server, alsoOurs);
  if (warmup) {
    await runWrk({ ...common, seconds: SETTINGS.warmupSeconds });
    // wrk drops its connections at the end, but the server still finishes what they asked for
    // (for the login: bcrypt compares that would occupy the thread pool at the start of the measured run).
    await waitForIdle(server, alsoOurs);
  }
  const usage = startCpuAccounting([server.pid, ...alsoOurs]);
  const serverTicksBefore = await cpuTicks(server.pid);
  const result = await runWrk({ ...common, seconds: duration });
  const serverTicksAfter = await cpuTicks(server.pid);
  const serverCpuMs = serverTicksBefore === null || serverTicksAfter === null ? null : (serverTicksAfter - serverTicksBefore) * 10;
  return { ...result, otherCpu: await usage.othersShare(), serverCpuMs };
}

/**
 * Waits until the process (and the alsoOurs pids, e.g. its MySQL server) has used almost no CPU
 * for half a second (Linux /proc; elsewhere a fixed pause).
 */
export async function waitForIdle(proc, alsoOurs = []) {
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
export async function cpuTicks(pid) {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Share of all CPUs busy over one second while the servers are idle: other processes skewing the run. */
export async function otherCpuLoad(server) {
  await waitForIdle(server);
  const usage = startCpuAccounting([server.pid]);
  await sleep(1000);
  return usage.othersShare();
}

/** CPU time of this process's children that have exited and been waited for (wrk, the bcrypt run), in ms. */
async function reapedChildrenMs() {
  try {
    const stat = await fsp.readFile('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Counts the machine's CPU time from now on and, at othersShare(), returns the share of all
 * CPUs used by processes other than this one, its exited children (wrk) and the given ones.
 * The machine is shared: this tells a slow run from a slow server.
 */
export function startCpuAccounting(pids) {
  const machineBefore = machineCpu();
  const selfBefore = process.cpuUsage();
  const ticksBefore = Promise.all(pids.map(cpuTicks));
  const reapedBefore = reapedChildrenMs();
  return {
    async othersShare() {
      const machine = machineCpu();
      const self = process.cpuUsage(selfBefore);
      const before = await ticksBefore;
      const after = await Promise.all(pids.map(cpuTicks));
      const childrenMs = after.reduce((sum, ticks, i) => sum + (ticks ?? 0) - (before[i] ?? 0), 0) * 10;
      const reapedMs = (await reapedChildrenMs()) - (await reapedBefore);
      const busyMs = machine.busy - machineBefore.busy;
      const allMs = machine.all - machineBefore.all;
      const oursMs = (self.user + self.system) / 1000 + childrenMs + reapedMs;
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
export function medianOf(values) {
  if (values.length === 0 || values.some((value) => value === null)) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The run with the median requests/s. */
export function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A wrk run as a table row; wrk counts only non-2xx/3xx, so the exact status is checked once before (probe). */
export function summarize(name, result) {
  const problems = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx/3xx`);
  if (result.errors > 0) problems.push(`${result.errors} socket errors (${result.timeouts} timeouts)`);
  if (result.requests === 0) problems.push('no completed requests');
  return {
    name,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.requests,
    non2xx: result.non2xx,
    errors: result.errors,
    problems,
    otherCpu: result.otherCpu,
    command: result.command,
    /** CPU time the server process spent per completed request (Linux only): what the request path costs. */
    cpuUsPerRequest: result.serverCpuMs === null || result.requests === 0 ? null : (result.serverCpuMs * 1000) / result.requests,
  };
}

/** One request as the load run will send it: the status must be the expected one (wrk itself only counts non-2xx/3xx). */
export async function probe(name, { url, method = 'GET', headers = {}, body }, expectedStatus) {
  const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  if (response.status !== expectedStatus)
    throw new Failure(`${name.replace(/\s+/g, ' ')}: expected ${expectedStatus}, got ${response.status}: ${text.slice(0, 500)}`);
}

/**
 * The two contenders of a ratio answer the same request alike: status, body, and every header but Date. Otherwise
 * the ratio would compare different work (a JSON body against an empty 204, a header one side does not send).
 */
export async function assertSameAnswer(ours, theirs) {
  const answer = async ({ opts: { url, headers = {} } }) => {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    // A request id differs from answer to answer; that both carry one is what counts.
    const kept = [...response.headers]
      .filter(([name]) => name !== 'date')
      .map(([name, value]) => [name, name === 'x-request-id' ? 'an id' : value])
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify({ status: response.status, headers: kept, body });
  };
  const [a, b] = [await answer(ours), await answer(theirs)];
  if (a !== b) throw new Failure(`${ours.name.replace(/\s+/g, ' ')} and ${theirs.name.replace(/\s+/g, ' ')} answer differently:\n  ${a}\n  ${b}`);
}

/** bcrypt.compare in a separate process, at the login's concurrency, with a warm-up like the HTTP runs. */
export async function rawBcrypt(serverPids) {
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
      // Like wrk: only what completes inside the window counts.
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
  const otherCpu = await usage.othersShare();
  return {
    name: 'raw bcrypt.compare (child process)',
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.completed,
    non2xx: 0,
    errors: 0,
    problems: result.completed === 0 ? ['no completed compares'] : [],
    otherCpu,
    command: `node raw-bcrypt.mjs: bcrypt.compare at cost ${SETTINGS.bcryptRounds}, ${SETTINGS.loginConnections} in flight, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.duration} s`,
  };
}

export const ratio = (run, baseline) => (run.problems.length === 0 && baseline.problems.length === 0 ? run.rps / baseline.rps : null);
