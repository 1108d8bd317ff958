import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../support/free-port';

/** The bundled server, started as `npm start` starts it: what it writes to standard output is its log. */
const MAIN = join(__dirname, '..', '..', 'server.js');
const ADMIN_PASSWORD = 'Admin-Pass-For-Log-Tests-1';

describe('request ids in the log', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'identity-request-log-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('every line a request writes names its request id, the one its answer carries', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        JWT_SECRET: randomBytes(48).toString('base64url'),
        ADMIN_PASSWORD,
        BCRYPT_ROUNDS: '4',
        LOG_REQUESTS: 'true',
        LOG_LEVEL: 'info',
        BODY_LIMIT: '2048',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let attempt = 0; attempt < 100 && !/Listening on/.test(output); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(output, /Listening on/, output);
      const startup = output.length;

      const json = { 'content-type': 'application/json' };
      const requests: Array<[string, RequestInit]> = [
        ['/health', {}],
        ['/user/info', {}],
        ['/no-such-route', {}],
        ['/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ username: 'nobody-log', password: 'wrong-password-1' }) }],
        ['/auth/login', { method: 'POST', headers: json, body: '{"username":' }],
        ['/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ username: 'x'.repeat(4096), password: 'y' }) }],
        ['/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) }],
        ['/user/list', { headers: { 'x-request-id': 'caller-trace-7' } }],
      ];
      const ids: string[] = [];
      for (const [path, init] of requests) {
        const response = await fetch(`${url}${path}`, init);
        await response.arrayBuffer();
        const id = response.headers.get('x-request-id') ?? '';
        if (response.status >= 400) assert.ok(id, `${path} → ${response.status} names its request id`);
        if (id) ids.push(id);
      }
      assert.ok(ids.includes('caller-trace-7'), 'a sane caller id is kept');
      await new Promise((resolve) => setTimeout(resolve, 300));

      const lines = output
        .slice(startup)
        .split('\n')
        .filter((line) => line.trim());
      assert.ok(lines.length >= requests.length * 2, `${lines.length} lines`);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        const id = (entry.reqId ?? entry.requestId) as string | undefined;
        assert.ok(id, `a line without a request id: ${line}`);
      }
      for (const id of ids)
        assert.ok(
          lines.some((line) => line.includes(`"${id}"`)),
          `${id} is in the log`,
        );
      assert.doesNotMatch(output, new RegExp(ADMIN_PASSWORD), 'no password in the log');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
