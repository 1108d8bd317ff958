// The table and ratio lines printed at the end, and the JSON results file.
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { timingLine } from './login-timing.mjs';
import { BUSY_WARNING, describeDatabase, MEMORY_TARGET, REFRESH_TARGET, SETTINGS } from './settings.mjs';

/** Refresh runs against their targets: rotations/s everywhere, the p99 on MySQL/MariaDB. */
export function refreshTargets(refreshRuns) {
  return refreshRuns.map((run) => {
    const onMysql = run.database.startsWith('mysql');
    const ok = run.problems.length === 0;
    return {
      name: run.name.replace(/\s+/g, ' '),
      database: run.database,
      rotationsPerSecond: run.rps,
      p50: run.p50,
      p99: run.p99,
      targetRotationsPerSecond: REFRESH_TARGET.rotationsPerSecond,
      targetP99Ms: onMysql ? REFRESH_TARGET.p99Ms : null,
      meetsTarget: ok ? run.rps >= REFRESH_TARGET.rotationsPerSecond && (!onMysql || run.p99 < REFRESH_TARGET.p99Ms) : null,
    };
  });
}

/** RSS and start-to-ready time against their targets. */
export function memoryTargets({ readyMs, idleMb, afterLoadMb }) {
  const row = (name, value, target, unit) => ({ name, value, target, unit, meetsTarget: value === null ? null : value <= target });
  return [
    row('RSS idle after start (VmRSS)', idleMb, MEMORY_TARGET.idleMb, 'MB'),
    row('RSS after the load runs (VmRSS)', afterLoadMb, MEMORY_TARGET.afterLoadMb, 'MB'),
    row('start to ready (spawn to first 200 of GET /health)', readyMs, MEMORY_TARGET.readyMs, 'ms'),
  ];
}

export function printReport(runs, ratios, failed, busy, mysqlPhase, { memory, refresh, timing }) {
  const header = ['Run', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'server CPU µs/req', 'non-2xx', 'errors', 'others CPU'];
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
  for (const t of refreshTargets(refresh)) {
    const mark = t.meetsTarget === null ? 'no figure (failed run)' : t.meetsTarget ? 'ok' : 'BELOW TARGET';
    const p99Target = t.targetP99Ms === null ? '' : `, p99 < ${t.targetP99Ms} ms`;
    console.log(
      `Refresh on ${t.database}: ${t.rotationsPerSecond.toFixed(0)} rotations/s, p50 ${fmtMs(t.p50)} ms, p99 ${fmtMs(t.p99)} ms (target >= ${t.targetRotationsPerSecond}/s${p99Target})  ${mark}`,
    );
  }
  for (const t of memoryTargets(memory)) {
    const mark = t.meetsTarget === null ? 'no figure' : t.meetsTarget ? 'ok' : 'ABOVE TARGET';
    console.log(`${t.name} = ${t.value === null ? 'n/a' : `${t.value.toFixed(0)} ${t.unit}`} (target <= ${t.target} ${t.unit})  ${mark}`);
  }
  console.log(timingLine(timing));
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
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}`,
  );
  console.log(`bcrypt rounds ${SETTINGS.bcryptRounds}, database ${describeDatabase()}`);
  if (mysqlPhase.version) {
    console.log(`MySQL phase: ${mysqlPhase.version} at ${mysqlPhase.url} (${mysqlPhase.origin}); ${mysqlPhase.roles} roles, user id ${mysqlPhase.userId}`);
  }
  console.log(
    `CPU used by other processes before the runs: ${(busy * 100).toFixed(0)}% ("others CPU": share of both CPUs used by other processes during each run)`,
  );
  const disturbed = runs.filter((r) => r.otherCpu > BUSY_WARNING);
  if (disturbed.length > 0) {
    console.log(
      `WARNING: other processes used more than ${BUSY_WARNING * 100}% of the CPUs during ${disturbed.length} run(s) (marked !): those figures are low and the ratios unreliable; rerun on a quiet machine.`,
    );
  }
  console.log(
    `wrk -t1, ${SETTINGS.connections} connections for GET, ${SETTINGS.loginConnections} for login/bcrypt, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.duration} s (paired rounds ${SETTINGS.roundSeconds} s); refresh: ${SETTINGS.refreshSessions} sessions, ${SETTINGS.refreshSeconds} s (Node driver, keep-alive)`,
  );
  for (const run of failed) console.log(`FAILED: ${run.name.replace(/\s+/g, ' ')}: ${run.problems.join(', ')}`);
}

export async function writeResults(runs, ratios, failed, busy, mysqlPhase, { memory, refresh, timing }) {
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
    loadGenerator: 'wrk -t1 --latency',
    settings: {
      duration: SETTINGS.duration,
      rounds: SETTINGS.rounds,
      roundDuration: SETTINGS.roundSeconds,
      refreshSessions: SETTINGS.refreshSessions,
      refreshDuration: SETTINGS.refreshSeconds,
      warmup: SETTINGS.warmupSeconds,
      connections: SETTINGS.connections,
      loginConnections: SETTINGS.loginConnections,
    },
    runs: runs.map(({ name, ...rest }) => ({ name: name.replace(/\s+/g, ' '), ...rest })),
    refresh: refreshTargets(refresh),
    memory: { ...memory, targets: memoryTargets(memory) },
    loginTiming: timing,
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

const fmtMs = (ms) => (ms === null ? 'n/a' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
