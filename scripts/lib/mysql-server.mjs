// A throw-away MariaDB/MySQL server for `npm test` and `npm run bench`: a temp
// data dir, initialised with mariadb-install-db (or mysqld --initialize-insecure),
// a server on a free port of 127.0.0.1 with passwordless root, stopped and
// removed at the end.
//
//   const server = createThrowawayServer({ tmpPrefix: 'idsrv-test-db-' });
//   const url = await server.start(); // mysql://root@127.0.0.1:<port>, or null when none is installed
//   ...
//   await server.takeDown('SIGKILL'); // a fault test: the server gone (data dir and port kept) ...
//   await server.restart();           // ... and back
//   await server.stop();              // or server.killSync() from an 'exit' handler
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './free-port.mjs';
import { exited, isRunning, killGroup } from './processes.mjs';

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const SERVER_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin'];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/** A setup problem whose message says it all (no stack needed). */
export class MysqlServerError extends Error {}

/** Path of an installed mariadbd/mysqld, or null. */
export function findServerBinary() {
  return findExecutable(SERVER_NAMES, [...pathDirs(), ...SERVER_DIRS]);
}

/**
 * @param {object} [options]
 * @param {string} [options.tmpPrefix] prefix of the temp dir (data dir, socket, logs)
 * @param {(cmd: string, args: string[]) => Promise<{code: number, output: string}>} [options.capture]
 *   runs a helper (install-db) to its end; by default in its own process group, killed by stop()/killSync()
 * @param {() => void} [options.checkAborted] throws when the caller was interrupted; called between steps
 */
export function createThrowawayServer({ tmpPrefix = 'mysql-throwaway-', capture, checkAborted = () => {} } = {}) {
  /** Helper processes started by the default capture. */
  const helpers = new Set();
  let stopping = false;
  const runHelper = capture ?? ((cmd, args) => captureInGroup(cmd, args, helpers, () => stopping));

  const state = { tmpDir: null, proc: null, port: null, url: null, args: null, serverBin: null, errLog: null };

  async function start() {
    const serverBin = findServerBinary();
    if (!serverBin) return null;

    const { output: versionText } = await runHelper(serverBin, ['--version']);
    const isMariaDb = /mariadb/i.test(versionText);

    state.tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
    const dataDir = path.join(state.tmpDir, 'data');
    const errLog = path.join(state.tmpDir, 'err.log');

    await initDataDir(serverBin, isMariaDb, dataDir);
    const port = await freePort();
    checkAborted();

    Object.assign(state, { serverBin, errLog, args: serverArgs({ dataDir, errLog, port }) });
    spawnServer();
    await waitUntilReady(port, errLog);
    state.port = port;
    state.url = `mysql://root@127.0.0.1:${port}`;
    return state.url;
  }

  function spawnServer() {
    state.proc = spawn(state.serverBin, state.args, {
      stdio: 'ignore',
      // Keeps a terminal Ctrl+C away from the server: it is stopped explicitly, at the end.
      detached: true,
    });
    state.proc.on('error', () => {}); // e.g. EACCES; waitUntilReady() reports it as "did not start"
  }

  /**
   * Takes the running server down for a fault test: SIGTERM (a clean shutdown) or SIGKILL (a crash), and waits
   * until it has exited. Its data dir and port are kept for restart().
   */
  async function takeDown(signal = 'SIGTERM') {
    const { proc } = state;
    if (!proc || !isRunning(proc)) return;
    killGroup(proc, signal);
    await exited(proc);
  }

  /** Starts the server again on the same data dir and port after takeDown(); resolves once it accepts connections. */
  async function restart() {
    if (!state.url) throw new MysqlServerError('restart() before start()');
    if (state.proc && isRunning(state.proc)) return;
    // The port was ours a moment ago; a server that exited may leave it in TIME_WAIT, which bind() tolerates on Linux.
    spawnServer();
    await waitUntilReady(state.port, state.errLog);
  }

  async function initDataDir(serverBin, isMariaDb, dataDir) {
    let cmd, args;
    if (isMariaDb) {
      cmd = findExecutable(['mariadb-install-db', 'mysql_install_db'], installDbDirs(serverBin));
      if (!cmd) throw new MysqlServerError(`Found ${serverBin} but no mariadb-install-db to initialise it.`);
      // No --user even as root: with --user the script chowns the system-wide
      // plugin/auth_pam_tool_dir, and the bootstrap runs fine as root without it.
      args = ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db'];
    } else {
      // --initialize-insecure creates only root@localhost, which --skip-name-resolve
      // does not match for TCP connections from 127.0.0.1.
      const initFile = path.join(state.tmpDir, 'init.sql');
      await fsp.writeFile(
        initFile,
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';\n" + "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n",
      );
      cmd = serverBin;
      args = ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, `--init-file=${initFile}`, ...rootUserArg()];
    }
    const { code, output } = await runHelper(cmd, args);
    checkAborted();
    if (code !== 0) {
      process.stderr.write(output);
      throw new MysqlServerError(`Initialising the MySQL data dir failed (${path.basename(cmd)} exit code ${code}).`);
    }
  }

  function serverArgs({ dataDir, errLog, port }) {
    return [
      '--no-defaults', // must come first; ignores /etc/mysql/* of a system installation
      `--datadir=${dataDir}`,
      `--socket=${path.join(state.tmpDir, 'mysql.sock')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--pid-file=${path.join(state.tmpDir, 'mysqld.pid')}`,
      `--log-error=${errLog}`,
      ...rootUserArg(),
      // Durability is pointless for a throw-away server.
      '--innodb-flush-log-at-trx-commit=2',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=128M',
      '--max-connections=500',
    ];
  }

  async function waitUntilReady(port, errLog) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError;
    while (Date.now() < deadline) {
      checkAborted();
      if (!isRunning(state.proc)) {
        const how = state.proc.exitCode ?? state.proc.signalCode ?? 'did not start';
        lastError = new Error(`server exited (${how})`);
        break;
      }
      try {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', connectTimeout: 2000 });
        await conn.end();
        return;
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
    console.error(`--- last lines of ${errLog} ---\n${await tail(errLog, 30)}\n---`);
    throw new MysqlServerError(`MySQL server did not accept connections on 127.0.0.1:${port}: ${lastError?.message}`);
  }

  /** Stops the server gracefully (SIGKILL after a timeout) and removes its temp dir. */
  async function stop() {
    stopping = true;
    // An unfinished install-db (and its bootstrap server) must not keep writing into the temp dir.
    for (const helper of helpers) killGroup(helper, 'SIGKILL');
    await Promise.all([...helpers].map(exited));
    if (!state.tmpDir) return;
    const { proc, tmpDir } = state;
    if (proc && isRunning(proc)) {
      killGroup(proc, 'SIGTERM');
      const stopped = await Promise.race([exited(proc).then(() => true), sleep(STOP_TIMEOUT_MS)]);
      if (!stopped) {
        console.error(`MySQL server did not stop within ${STOP_TIMEOUT_MS / 1000}s; killing it.`);
        killGroup(proc, 'SIGKILL');
        await exited(proc);
      }
    }
    await fsp.rm(tmpDir, { recursive: true, force: true, maxRetries: 5 });
    Object.assign(state, { tmpDir: null, proc: null, port: null, url: null, args: null });
  }

  /** Last resort when exiting early: nothing can be awaited any more. */
  function killSync() {
    stopping = true;
    for (const helper of helpers) killGroup(helper, 'SIGKILL');
    if (!state.tmpDir) return;
    if (state.proc && isRunning(state.proc)) killGroup(state.proc, 'SIGKILL');
    // Retries cover the moment until the kill has landed and the server stops writing.
    fs.rmSync(state.tmpDir, { recursive: true, force: true, maxRetries: 10 });
    Object.assign(state, { tmpDir: null, proc: null, port: null, url: null, args: null });
  }

  return {
    start,
    stop,
    killSync,
    takeDown,
    restart,
    /** The temp dir once it exists, until stop(). */
    get tmpDir() {
      return state.tmpDir;
    },
    /** The server process once spawned, until stop(). */
    get proc() {
      return state.proc;
    },
    get port() {
      return state.port;
    },
    get url() {
      return state.url;
    },
  };
}

// ---------------------------------------------------------------- processes

/** Runs a helper in its own process group (install-db starts a bootstrap server) and collects its output. */
function captureInGroup(cmd, args, helpers, stopping) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    helpers.add(child);
    child.once('error', () => helpers.delete(child));
    child.once('exit', () => {
      helpers.delete(child);
      if (stopping()) killGroup(child, 'SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** mariadbd/mysqld refuse to run as root unless told to. */
function rootUserArg() {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

// ---------------------------------------------------------------- helpers

function pathDirs() {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
}

function installDbDirs(serverBin) {
  const binDirs = [path.dirname(serverBin), path.dirname(fs.realpathSync(serverBin))];
  const baseDirs = binDirs.map((d) => path.dirname(d));
  return [...binDirs, ...baseDirs.flatMap((b) => [path.join(b, 'bin'), path.join(b, 'scripts')]), ...pathDirs(), '/usr/bin', '/usr/local/bin'];
}

function findExecutable(names, dirs) {
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

async function tail(file, lines) {
  try {
    return (await fsp.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The URL with its password masked, for messages and reports. */
export function redactUrl(databaseUrl) {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** `MariaDB 10.11.x` or `MySQL 8.x` of the server at this URL; a MysqlServerError when it cannot be reached. */
export async function serverVersion(databaseUrl) {
  let conn;
  try {
    conn = await mysql.createConnection({ uri: databaseUrl, connectTimeout: 10_000 });
    const [rows] = await conn.query('SELECT VERSION() AS version');
    const { version } = rows[0];
    return `${/mariadb/i.test(version) ? 'MariaDB' : 'MySQL'} ${version}`;
  } catch (error) {
    throw new MysqlServerError(`Cannot connect to ${redactUrl(databaseUrl)}: ${error.message}`);
  } finally {
    await conn?.end().catch(() => {});
  }
}
