// The bench's child processes (tsc, servers, the raw bcrypt run): tracked so that the clean-up stops them all.
import { spawn } from 'node:child_process';
import { exited, isRunning } from '../lib/processes.mjs';
import { STOP_TIMEOUT_MS } from './settings.mjs';

/** Child processes still running (tsc, servers, bcrypt), killed on exit. */
export const children = new Set();

export function track(proc) {
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

/** Runs a command to its end, collecting its output. */
export function runToEnd(command, args, options) {
  return new Promise((resolve, reject) => {
    const proc = track(spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code: code ?? signal, stdout, output: (stdout + stderr).trim() }));
  });
}

/** Keeps reading a stream (a full pipe would block the server) and remembers its last 64 KiB. */
export function tail(stream, limit = 64 * 1024) {
  const state = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    state.text = (state.text + chunk).slice(-limit);
  });
  return state;
}

export function childOutput(proc) {
  const { stdout, stderr } = proc.output;
  return `--- stderr ---\n${stderr.text.trim() || '(empty)'}\n--- stdout ---\n${stdout.text.trim() || '(empty)'}`;
}

export function lastLines(proc, count) {
  const text = `${proc.output.stderr.text}${proc.output.stdout.text}`.trim();
  // Error log lines are long JSON with stacks; the start says what happened.
  return text
    ? text
        .split('\n')
        .slice(-count)
        .map((line) => (line.length > 400 ? `${line.slice(0, 400)} ...` : line))
        .join('\n')
    : '(nothing)';
}

export async function stop(proc) {
  if (!isRunning(proc)) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited(proc);
  clearTimeout(timer);
}
