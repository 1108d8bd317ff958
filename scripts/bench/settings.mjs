// What every part of the bench shares: settings from the environment, constants, and the run's state.
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));

export const SETTINGS = {
  duration: positiveInt('BENCH_DURATION', 10),
  rounds: positiveInt('BENCH_ROUNDS', 5),
  roundSeconds: positiveInt('BENCH_ROUND_DURATION', 5),
  warmupSeconds: 2,
  connections: positiveInt('BENCH_CONNECTIONS', 50),
  loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
  bcryptRounds: positiveInt('BENCH_BCRYPT_ROUNDS', 12),
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
};
export const ADMIN = { username: 'admin', password: 'Bench-Admin-Pass-1' };
export const READY_TIMEOUT_MS = 60_000;
export const STOP_TIMEOUT_MS = 5_000;
export const IDLE_TIMEOUT_MS = 60_000;
/** Share of the machine's CPU used by others above which the figures are flagged as unreliable. */
export const BUSY_WARNING = 0.1;
export const TARGETS = { test: 0.6, login: 0.9, rs256: 0.9, jwks: 0.6 };
/** The gateway whose JWKS is loaded (GET /v1/auth/jwks?gatewayId=…); a ticket is created for it. */
export const BENCH_GATEWAY = 70;
/** p99 target of the MySQL reads, in ms, at SETTINGS.connections connections. */
export const P99_TARGET_MS = 20;
/** The database the throw-away MySQL server gets for the bench. */
export const BENCH_DATABASE = 'identity_bench';
/** Created through the API for the MySQL phase: with the seeded admin and common roles, a full page of 10. */
export const BENCH_ROLES = 9;
export const BENCH_USER = { username: 'benchuser', password: 'Bench-User-Pass-77' };
export const BARE_BODY = { code: 200, message: 'ok', msg: 'ok', data: null };

export class Failure extends Error {}

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

function positiveInt(name, fallback) {
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
