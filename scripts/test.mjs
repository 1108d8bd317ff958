// `npm test`: compile the TypeScript, provide a MySQL-compatible server when
// one is available, and run every spec with the built-in node test runner.
//
//   npm test                                          all specs
//   npm test -- --test-name-pattern=login             extra args go to `node --test`
//   TEST_DATABASE_URL=mysql://u:p@host:3306 npm test  use an existing server
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';
import { createThrowawayServer, MysqlServerError, redactUrl, serverVersion } from './lib/mysql-server.mjs';
import { exited, killGroup } from './lib/processes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_DIR = path.join(ROOT, '.test-build');
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };

/** The throw-away server (started only without TEST_DATABASE_URL); its helpers run through capture(). */
const db = createThrowawayServer({ tmpPrefix: 'idsrv-test-db-', capture, checkAborted: throwIfAborted });
/** Running helper processes (tsc, install-db, node --test). */
const children = new Set();
/** The signal that interrupted the run, if any. */
let aborting = null;
let abortedAt = 0;

class Failure extends Error {}

// ---------------------------------------------------------------- main

async function main(extraArgs) {
  await compile();
  const files = await collectTestFiles();
  if (files.length === 0) {
    throw new Failure('No test files found (.test-build/src/**/*.spec.js, .test-build/test/**/*.e2e-spec.js).');
  }

  const env = { ...process.env, NODE_ENV: 'test' };
  let databaseUrl = process.env.TEST_DATABASE_URL;
  let origin = 'from TEST_DATABASE_URL';
  if (!databaseUrl) {
    const started = Date.now();
    databaseUrl = await startThrowawayServer();
    origin = `throw-away server, ready in ${seconds(started)}`;
  }
  if (databaseUrl) {
    env.TEST_DATABASE_URL = databaseUrl;
    console.log(`MySQL: using ${await serverVersion(databaseUrl)} at ${redactUrl(databaseUrl)} (${origin})`);
  } else {
    console.log('MySQL: skipped (no mariadbd/mysqld installed; set TEST_DATABASE_URL to use a server)');
  }

  console.log(
    redisServerInstalled()
      ? 'Redis: each Redis suite starts its own redis-server'
      : 'Redis: suites skipped (no redis-server installed; Debian: apt-get install redis-server)',
  );

  return runTests(files, extraArgs, env);
}

/** The same places test/support/redis.ts looks in. */
function redisServerInstalled() {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  return dirs.some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, 'redis-server'), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// ---------------------------------------------------------------- compile

async function compile() {
  // Deleted up front so a spec whose .ts was removed or renamed never runs.
  await fsp.rm(BUILD_DIR, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const started = Date.now();
  const { code, output } = await capture(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: ROOT,
  });
  throwIfAborted();
  if (code !== 0) {
    process.stderr.write(output);
    throw new Failure(`TypeScript compilation failed (tsc exit code ${code}).`);
  }
  // What `npm start` runs (scripts/bundle.mjs), for the suites that start the server as a process.
  await bundle(path.join(BUILD_DIR, 'src', 'main.js'), path.join(BUILD_DIR, 'server.js'));
  throwIfAborted();
  console.log(`Compiled and bundled in ${seconds(started)}.`);
}

async function collectTestFiles() {
  const specs = await walk(path.join(BUILD_DIR, 'src'), (f) => f.endsWith('.spec.js'));
  const e2e = await walk(path.join(BUILD_DIR, 'test'), (f) => f.endsWith('.e2e-spec.js'));
  return [...specs, ...e2e].map((f) => path.relative(ROOT, f));
}

async function walk(dir, accept) {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return []; // e.g. no test/ directory yet
    throw err;
  }
  const found = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full, accept)));
    else if (entry.isFile() && accept(entry.name)) found.push(full);
  }
  return found.sort();
}

// ---------------------------------------------------------------- run tests

async function runTests(files, extraArgs, env) {
  throwIfAborted();
  const args = ['--test', '--test-concurrency=2', '--test-timeout=300000'];
  // Node 20 falls back to TAP when stdout is not a TTY (CI); spec output is
  // easier to read there and ends with a list of the failures.
  if (!extraArgs.some((a) => a.startsWith('--test-reporter'))) {
    args.push('--test-reporter=spec', '--test-reporter-destination=stdout');
    args.push(`--test-reporter=${path.join(ROOT, 'scripts', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout');
  }
  // Options must precede the file list or node would take them for files.
  args.push(...extraArgs, ...files);

  const run = startChild(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const { code, signal } = await exited(run);
  if (signal && !aborting) console.error(`node --test was killed by ${signal}.`);
  return code ?? 1;
}

// ---------------------------------------------------------------- MySQL / MariaDB

/** Starts a private server; returns its URL, or null when no server is installed. */
function startThrowawayServer() {
  return db.start();
}

/** Stops the server gracefully (SIGKILL after a timeout) and removes its temp dir. */
function stopServer() {
  return db.stop();
}

/** Last resort when exiting early: nothing can be awaited any more. */
function killEverythingSync() {
  for (const child of children) killGroup(child, 'SIGKILL');
  db.killSync();
}

// ---------------------------------------------------------------- processes

/**
 * Spawns a helper in its own process group, so that an abort stops it together
 * with whatever it spawned (node --test's per-file workers, install-db's bootstrap server).
 */
function startChild(cmd, args, options) {
  const child = spawn(cmd, args, { ...options, detached: true });
  children.add(child);
  child.once('error', () => children.delete(child));
  child.once('exit', () => {
    children.delete(child);
    // Group members may outlive the signal (install-db's bootstrap mariadbd
    // keeps running after SIGTERM); they must not keep writing into the temp dir.
    if (aborting) killGroup(child, 'SIGKILL');
  });
  return child;
}

/** Runs a helper and collects stdout+stderr, shown only when something goes wrong. */
function capture(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = startChild(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function throwIfAborted() {
  if (aborting) throw new Failure(`Interrupted by ${aborting}.`);
}

// ---------------------------------------------------------------- helpers

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------- entry point

/**
 * First signal: pass it on to the helpers and let main() unwind, which stops
 * the server. Another signal later on: give up waiting and kill everything.
 */
function onSignal(signal) {
  // `npm test` forwards the terminal's SIGINT, so one Ctrl+C arrives twice.
  if (aborting && Date.now() - abortedAt > 1000) {
    console.error(`Received ${signal} again, killing everything.`);
    killEverythingSync();
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }
  if (aborting) return;
  aborting = signal;
  abortedAt = Date.now();
  console.error(`\nReceived ${signal}, stopping...`);
  for (const child of children) killGroup(child, signal);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killEverythingSync);

let exitCode = 1;
try {
  exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (!aborting) console.error(err instanceof Failure || err instanceof MysqlServerError ? err.message : err);
} finally {
  try {
    await stopServer();
  } catch (err) {
    console.error(`Cleaning up the MySQL server failed: ${err.message}`);
  }
}
process.exit(aborting ? SIGNAL_EXIT_CODES[aborting] : exitCode);
