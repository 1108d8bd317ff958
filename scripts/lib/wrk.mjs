// wrk (Debian package `wrk`): the HTTP load generator of the bench. autocannon, in Node, saturates near
// 13–15k req/s on a 2-core machine, below what the servers answer; wrk (C, epoll) does not.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const WRK_INSTALL_HINT = 'wrk is not installed: install it with `sudo apt-get install wrk` (Debian/Ubuntu) and run `npm run bench` again.';

/** The wrk executable on PATH, or null. */
export function findWrk() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'wrk');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * One wrk run: `wrk -t1 -c<connections> -d<seconds>s --latency [-H ...] [-s script] url`.
 * `onStart(pid)` is called once wrk is spawned. Resolves with the parsed figures (see parseWrk).
 */
export function runWrk({ wrk, url, connections, seconds, headers = {}, script, timeoutSeconds = 30, onStart }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  if (script) args.push('-s', script);
  args.push(url);
  return new Promise((resolve, reject) => {
    const proc = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onStart?.(proc.pid);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`wrk ${args.join(' ')} exited with ${code ?? signal}:\n${(stdout + stderr).trim()}`));
      try {
        resolve({ ...parseWrk(stdout), output: stdout, command: `wrk ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` });
      } catch (error) {
        reject(new Error(`${error.message}\n--- wrk output ---\n${stdout}${stderr}`));
      }
    });
  });
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`wrk: cannot read the duration ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** requests/s, total requests, latency percentiles (ms), non-2xx/3xx count and socket errors from wrk's text output. */
export function parseWrk(output) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in ([\d.]+\w+)/m.exec(output);
  if (!rps || !total) throw new Error('wrk: no "Requests/sec" or "N requests in" line in its output');
  const percentiles = {};
  for (const [, p, value] of output.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$/gm)) percentiles[p] = toMs(value);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const [connect, read, write, timeouts] = socket ? socket.slice(1).map(Number) : [0, 0, 0, 0];
  return {
    rps: Number(rps[1]),
    requests: Number(total[1]),
    durationMs: toMs(total[2]),
    p50: percentiles['50'] ?? null,
    p75: percentiles['75'] ?? null,
    p90: percentiles['90'] ?? null,
    p99: percentiles['99'] ?? null,
    non2xx,
    errors: connect + read + write + timeouts,
    timeouts,
  };
}

/** A Lua script for wrk that sends every request with this method, headers and body (e.g. a JSON POST). */
export function requestScript({ method, headers = {}, body }) {
  const lua = (text) => {
    let level = '';
    while (text.includes(`]${level}]`)) level += '=';
    return `[${level}[${text}]${level}]`;
  };
  const lines = [`wrk.method = ${lua(method)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[ ${lua(name)} ] = ${lua(value)}`);
  if (body !== undefined) lines.push(`wrk.body = ${lua(body)}`);
  return lines.join('\n') + '\n';
}
