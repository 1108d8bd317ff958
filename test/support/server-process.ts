import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { freePort } from './free-port';

/** The bundled server (scripts/bundle.mjs, run by scripts/test.mjs), started the way `npm start` starts it. */
export const SERVER_BUNDLE = join(__dirname, '..', '..', 'server.js');

/** The server running as a process of its own on a loopback port. */
export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  http(): ReturnType<typeof request>;
  /** SIGTERM, and the exit code once it has drained. */
  stop(): Promise<number | null>;
}

/** Spawns the bundle with only `env` (and PATH); answers once it listens and /health says it is ready. */
export async function startServerProcess(name: string, env: Record<string, string>, readyWithinMs = 30_000): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_BUNDLE], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    name,
    url,
    child,
    output: () => output,
    exited,
    http: () => request(url),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await server.stop();
  throw new Error(`${name} did not become ready (exit code ${child.exitCode}):\n${output}`);
}
