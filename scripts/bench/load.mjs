// Load runs with autocannon, CPU accounting on a shared machine, and the raw bcrypt baseline.
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { runToEnd } from './children.mjs';
import { baseEnv } from './servers.mjs';
import { ADMIN, Failure, IDLE_TIMEOUT_MS, requireFromRoot, SETTINGS, sleep, tmpDir } from './settings.mjs';

/** A discarded warm-up run, then the measured run with the same options, each starting on an idle server. */
export async function load(server, opts, alsoOurs = []) {
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
export async function otherCpuLoad(server) {
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

export function summarize(name, result, expectedStatus) {
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

export const ratio = (run, baseline) => (run.problems.length === 0 && baseline.problems.length === 0 ? run.rps / baseline.rps : null);
