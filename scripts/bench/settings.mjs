// What every part of the bench shares: settings from the environment, constants, and the run's state.
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findWrk, WRK_INSTALL_HINT } from '../lib/wrk.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

export const SETTINGS = {
  duration: positiveInt('BENCH_DURATION', 10),
  rounds: positiveInt('BENCH_ROUNDS', 5),
  roundSeconds: positiveInt('BENCH_ROUND_DURATION', 4),
  warmupSeconds: 2,
  connections: positiveInt('BENCH_CONNECTIONS', 50),
  loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
  bcryptRounds: positiveInt('BENCH_BCRYPT_ROUNDS', 12),
  refreshSessions: positiveInt('BENCH_REFRESH_SESSIONS', 50),
  refreshSeconds: positiveInt('BENCH_REFRESH_DURATION', 10),
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  timingTries: positiveInt('BENCH_TIMING_TRIES', 200),
};
export const ADMIN = { username: 'admin', password: 'Bench-Admin-Pass-1' };
export const READY_TIMEOUT_MS = 60_000;
export const STOP_TIMEOUT_MS = 5_000;
export const IDLE_TIMEOUT_MS = 60_000;
/** Share of the machine's CPU used by others above which the figures are flagged as unreliable. */
export const BUSY_WARNING = 0.1;
/** Ratios of issue 14 (jwks: issue 12). */
export const TARGETS = { test: 0.85, live: 0.85, login: 0.95, rs256: 0.95, es256: 0.95, jwks: 0.6 };
/** Refresh (issue 14): rotations/s with BENCH_REFRESH_SESSIONS sessions on each database, and the p99 on MariaDB. */
export const REFRESH_TARGET = { rotationsPerSecond: 2000, p99Ms: 50 };
/** Login timing (issue 15): medians of "unknown user" and "wrong password" differ by less than this. */
export const TIMING_TARGET_MS = 5;
/** Memory and start (issue 14): VmRSS idle after start and after the load runs, start to ready. */
export const MEMORY_TARGET = { idleMb: 120, afterLoadMb: 160, readyMs: 1500 };
/** The User-Agent of the refresh sessions' logins and rotations (a rotation must come from the login's client). */
export const REFRESH_USER_AGENT = 'identity-bench-refresh/1';
/** The gateway whose JWKS is loaded (GET /v1/auth/jwks?gatewayId=…); a ticket is created for it. */
export const BENCH_GATEWAY = 70;
/** p99 target of the MySQL reads, in ms, at SETTINGS.connections connections. */
export const P99_TARGET_MS = 20;
/** The database the throw-away MySQL server gets for the bench. */
export const BENCH_DATABASE = 'identity_bench';
/** Created through the API for the MySQL phase: with the seeded admin and common roles, a full page of 10. */
export const BENCH_ROLES = 9;
export const BENCH_USER = { username: 'benchuser', password: 'Bench-User-Pass-77' };

export class Failure extends Error {}

let wrk;
/** The wrk executable; exits with one line on how to install it when it is missing (no fallback). */
export function wrkPath() {
  wrk ??= findWrk();
  if (!wrk) {
    console.error(WRK_INSTALL_HINT);
    process.exit(1);
  }
  return wrk;
}

/** The run's temp dir (databases, generated scripts), set by createTmpDir(); removed by the clean-up. */
export let tmpDir = null;
export async function createTmpDir() {
  tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'identity-bench-'));
}

/** Set on SIGINT/SIGTERM: what is still starting gives up. */
export let interrupted = false;
export function markInterrupted() {
  interrupted = true;
}

export function describeDatabase() {
  if (!SETTINGS.databaseUrl) return 'sqlite';
  return `mysql ${describeUrl(SETTINGS.databaseUrl)}`.trim();
}

/** host:port/db of a mysql:// URL, without the credentials. */
export function describeUrl(databaseUrl) {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return '';
  }
}

export function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return value;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
