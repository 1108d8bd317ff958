// Issue 15's timing point: over BENCH_TIMING_TRIES tries each, the median times of POST /auth/login for an
// unknown user and for a known user with a wrong password differ by less than TIMING_TARGET_MS. One request
// in flight, the two kinds alternating, so that the machine's drift falls on both alike. The server counts
// with its limits on, but high enough never to refuse: the limiter's store work is part of both paths.
//
//   node scripts/bench/login-timing.mjs     this measurement alone, on SQLite (after `npm run build`)
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { stop } from './children.mjs';
import { medianOf } from './load.mjs';
import { mainDatabase, startApp } from './servers.mjs';
import { ADMIN, createTmpDir, Failure, SETTINGS, TIMING_TARGET_MS } from './settings.mjs';

/** The limits on, out of reach of 2 × BENCH_TIMING_TRIES failures from one address. */
export const TIMING_LIMITS = { LOGIN_MAX_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000' };

async function timedLogin(url, username) {
  const started = performance.now();
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: `Wrong-${randomBytes(6).toString('hex')}` }),
  });
  await response.arrayBuffer();
  const ms = performance.now() - started;
  if (response.status !== 401) throw new Failure(`login timing: POST /auth/login for ${username} answered ${response.status}, expected 401`);
  return ms;
}

/** Medians in ms of each kind, their difference, and whether it is under the target. */
export async function measureLoginTiming(app, tries = SETTINGS.timingTries) {
  const unknown = [];
  const wrongPassword = [];
  // A few of each first: JIT, the database's caches, bcrypt's threads.
  for (let i = 0; i < 5; i++) {
    await timedLogin(app.url, `nobody-${randomBytes(6).toString('hex')}`);
    await timedLogin(app.url, ADMIN.username);
  }
  for (let i = 0; i < tries; i++) {
    const unknownFirst = i % 2 === 0;
    if (unknownFirst) unknown.push(await timedLogin(app.url, `nobody-${randomBytes(6).toString('hex')}`));
    wrongPassword.push(await timedLogin(app.url, ADMIN.username));
    if (!unknownFirst) unknown.push(await timedLogin(app.url, `nobody-${randomBytes(6).toString('hex')}`));
  }
  const unknownMs = medianOf(unknown);
  const wrongPasswordMs = medianOf(wrongPassword);
  const differenceMs = Math.abs(unknownMs - wrongPasswordMs);
  return {
    tries,
    unknownUserMedianMs: unknownMs,
    wrongPasswordMedianMs: wrongPasswordMs,
    differenceMs,
    targetMs: TIMING_TARGET_MS,
    meetsTarget: differenceMs < TIMING_TARGET_MS,
  };
}

export function timingLine(t) {
  if (!t) return 'Login timing: no figure (failed run)';
  const mark = t.meetsTarget ? 'ok' : 'ABOVE TARGET';
  return `Login timing over ${t.tries} tries each: unknown user median ${t.unknownUserMedianMs.toFixed(2)} ms, wrong password median ${t.wrongPasswordMedianMs.toFixed(2)} ms, difference ${t.differenceMs.toFixed(2)} ms (target < ${t.targetMs} ms)  ${mark}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await createTmpDir();
  const app = await startApp({ ...mainDatabase(), ...TIMING_LIMITS });
  try {
    console.log(timingLine(await measureLoginTiming(app)));
  } finally {
    await stop(app.proc);
  }
  process.exit(0);
}
