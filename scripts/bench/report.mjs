// The table and ratio lines printed at the end, the JSON results file, and bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { timingLine } from './login-timing.mjs';
import { BUSY_WARNING, describeDatabase, MEMORY_TARGET, REFRESH_TARGET, ROOT, SETTINGS, wrkPath } from './settings.mjs';

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
    `wrk -t1, ${SETTINGS.connections} connections for GET, ${SETTINGS.loginConnections} for login/bcrypt, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.duration} s (paired rounds ${SETTINGS.roundSeconds} s); refresh: ${SETTINGS.refreshSessions} sessions, ${SETTINGS.refreshSeconds} s (wrk with a Lua token queue)`,
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

/** Where the Markdown report goes: committed with the change whose figures it holds. */
export const MARKDOWN_FILE = path.join(ROOT, 'bench', 'RESULTS.md');

/**
 * bench/RESULTS.md: the machine, then each figure with the median of its rounds, its target, whether it is met and
 * the command that measured it, then every run. Bearer tokens are left out of the commands.
 */
export async function writeMarkdown(runs, ratios, failed, busy, mysqlPhase, { memory, refresh, timing }) {
  const cpu = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`;
  const mark = (met) => (met === null ? 'no figure' : met ? 'yes' : '**no**');
  const code = (command) => (command ? `\`${command.replace(/Bearer [\w.-]+/g, 'Bearer $TOKEN')}\`` : 'n/a');
  const figures = [];
  const how = [];
  for (const { name, value, target, rounds, commands } of Object.values(ratios)) {
    const perRound = rounds ? ` (rounds: ${rounds.map((r) => (r === null ? 'n/a' : r.toFixed(2))).join(', ')})` : '';
    figures.push([name, `${value === null ? 'n/a' : value.toFixed(2)}${perRound}`, `≥ ${target.toFixed(2)}`, mark(value === null ? null : value >= target)]);
    how.push(`- ${name}: ${(commands ?? []).map(code).join(' against ')}`);
  }
  for (const [t, run] of refreshTargets(refresh).map((t, i) => [t, refresh[i]])) {
    const p99Target = t.targetP99Ms === null ? '' : `, p99 < ${t.targetP99Ms} ms`;
    figures.push([
      `Refresh rotations on ${t.database}`,
      `${t.rotationsPerSecond.toFixed(0)}/s, p50 ${fmtMs(t.p50)} ms, p99 ${fmtMs(t.p99)} ms`,
      `≥ ${t.targetRotationsPerSecond}/s${p99Target}`,
      mark(t.meetsTarget),
    ]);
    how.push(`- Refresh rotations on ${t.database}: ${run.command ?? 'n/a'}`);
  }
  for (const t of memoryTargets(memory)) {
    figures.push([t.name, t.value === null ? 'n/a' : `${t.value.toFixed(0)} ${t.unit}`, `≤ ${t.target} ${t.unit}`, mark(t.meetsTarget)]);
  }
  how.push(
    '- RSS: VmRSS of `/proc/<pid>/status` once the server is idle after start, and after the load runs; start to ready: from the spawn to the first 200 of GET /health, polled every 25 ms',
  );
  if (timing !== undefined) {
    figures.push([
      'Login time, unknown user vs wrong password (difference of medians)',
      timing ? `${timing.differenceMs.toFixed(2)} ms (${timing.unknownUserMedianMs.toFixed(1)} vs ${timing.wrongPasswordMedianMs.toFixed(1)} ms)` : 'n/a',
      timing ? `< ${timing.targetMs} ms` : 'n/a',
      mark(timing ? timing.meetsTarget : null),
    ]);
    how.push(
      `- Login timing: ${timing?.tries ?? 'n/a'} wrong logins each of an unknown user and of the administrator with a wrong password, one in flight, alternating (scripts/bench/login-timing.mjs)`,
    );
  }
  for (const t of mysqlPhase.targets) {
    const run = mysqlPhase.runs.find((r) => r.name.replace(/\s+/g, ' ') === t.name);
    figures.push([`${t.name} (p99)`, `${fmtMs(t.p99)} ms (${t.rps.toFixed(0)} req/s, p50 ${fmtMs(t.p50)} ms)`, `< ${t.targetMs} ms`, mark(t.meetsTarget)]);
    how.push(`- ${t.name}: ${code(run?.command)}`);
  }

  const runRows = runs.map((r) => [
    r.name.replace(/\s+/g, ' '),
    r.rps.toFixed(r.rps < 100 ? 2 : 1),
    fmtMs(r.p50),
    fmtMs(r.p99),
    String(r.requests),
    r.cpuUsPerRequest == null ? '-' : r.cpuUsPerRequest.toFixed(r.cpuUsPerRequest < 1000 ? 1 : 0),
    `${(r.otherCpu * 100).toFixed(0)}%${r.otherCpu > BUSY_WARNING ? ' !' : ''}`,
  ]);
  const table = (header, rows) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
  const mysql = mysqlPhase.skipped
    ? `skipped: ${mysqlPhase.skipped}`
    : mysqlPhase.error
      ? `failed: ${mysqlPhase.error.split('\n')[0]}`
      : `${mysqlPhase.version} (${mysqlPhase.origin})`;
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (scripts/bench/report.mjs) on ${new Date().toISOString()}; committed with the change whose figures these are.`,
    '',
    '## Machine',
    '',
    `- CPU: ${cpu}`,
    `- OS: ${os.type()} ${os.release()}`,
    `- Node: ${process.version}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}`,
    `- Load generator: ${wrkVersion()}, one thread (\`-t1\`), ${SETTINGS.connections} connections for GET, ${SETTINGS.loginConnections} for the login; the refresh rotations by wrk with a Lua token queue (each request needs the token of the previous answer)`,
    `- Database: ${describeDatabase()}; MySQL phase: ${mysql}`,
    `- Rounds: ${SETTINGS.rounds} alternating rounds of ${SETTINGS.roundSeconds} s per side for each ratio (a ${SETTINGS.warmupSeconds} s warm-up before the first), ${SETTINGS.duration} s (after ${SETTINGS.warmupSeconds} s) for single runs; bcrypt cost ${SETTINGS.bcryptRounds}`,
    `- Other processes used ${(busy * 100).toFixed(0)}% of the machine's CPU while the servers were idle; runs during which they used more than ${BUSY_WARNING * 100}% are marked ! below, and their figures are low and noisy.`,
    '',
    '## Figures and targets',
    '',
    ...table(['Figure', 'Measured (median)', 'Target', 'Met'], figures),
    '',
    'How each was measured:',
    '',
    ...how,
    '',
    '## Every run',
    '',
    ...table(['Run', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'server CPU µs/req', 'others CPU'], runRows),
    '',
    ...(failed.length ? ['Failed runs:', '', ...failed.map((run) => `- ${run.name.replace(/\s+/g, ' ')}: ${run.problems.join(', ')}`), ''] : []),
  ];
  await fsp.mkdir(path.dirname(MARKDOWN_FILE), { recursive: true });
  // The soak and the scaled runs (npm run bench -- --soak, --scaled) write their own sections: kept as they are.
  const previous = await fsp.readFile(MARKDOWN_FILE, 'utf8').catch(() => '');
  const kept = [...previous.matchAll(/<!-- (\w+):begin[\s\S]*?<!-- \1:end -->/g)].map((match) => `\n${match[0]}\n`);
  await fsp.writeFile(MARKDOWN_FILE, `${lines.join('\n')}${kept.join('')}`);
  return MARKDOWN_FILE;
}

/**
 * Replaces the section `name` of bench/RESULTS.md (between `<!-- name:begin … -->` and `<!-- name:end -->`),
 * or appends it; the rest of the file is left as it is.
 */
export async function writeResultsSection(name, markdown) {
  const begin = `<!-- ${name}:begin (written by npm run bench -- --${name}) -->`;
  const end = `<!-- ${name}:end -->`;
  let text = '';
  try {
    text = await fsp.readFile(MARKDOWN_FILE, 'utf8');
  } catch {
    await fsp.mkdir(path.dirname(MARKDOWN_FILE), { recursive: true });
  }
  const section = `${begin}\n${markdown}\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${text.slice(0, from)}${section}${text.slice(to + end.length)}`
      : `${text}${text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'}${section}\n`;
  await fsp.writeFile(MARKDOWN_FILE, next);
}

/** wrk's own version line (`wrk -v` prints it and exits 1). */
function wrkVersion() {
  const { stdout = '', stderr = '' } = spawnSync(wrkPath(), ['-v'], { encoding: 'utf8' });
  return /^wrk \S+/.exec(`${stdout}${stderr}`.trim())?.[0] ?? 'wrk';
}

const fmtMs = (ms) => (ms === null ? 'n/a' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
