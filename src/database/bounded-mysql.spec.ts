import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PoolConnection } from 'mysql2';
import { ACQUIRE_TIMEOUT_CODE, BoundedMysql } from './bounded-mysql';

/** Accepts TCP connections and never says a word: what a frozen MySQL server looks like from outside. */
function silentServer(): Promise<net.Server & { port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { port: (server.address() as net.AddressInfo).port, sockets }))),
  );
}

function acquire(mysql: BoundedMysql, port: number): Promise<{ error: unknown; ms: number }> {
  const pool = mysql.createPool({ host: '127.0.0.1', port, user: 'root', connectTimeout: 10_000, connectionLimit: 1 });
  const started = Date.now();
  return new Promise((resolve) =>
    pool.getConnection((error: unknown, connection: PoolConnection) => {
      connection?.release();
      resolve({ error, ms: Date.now() - started });
    }),
  );
}

describe('BoundedMysql against a server that never answers', () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  before(async () => {
    server = await silentServer();
  });
  after(() => {
    for (const socket of server.sockets) socket.destroy();
    server.close();
  });

  it('gives up waiting for a pooled connection after the acquire timeout, once bounding has started', async () => {
    const mysql = new BoundedMysql({ queryTimeoutMs: 1000, acquireTimeoutMs: 200 });
    mysql.startBounding();
    const { error, ms } = await acquire(mysql, server.port);
    assert.equal((error as { code?: string }).code, ACQUIRE_TIMEOUT_CODE);
    assert.ok(ms >= 190 && ms < 1000, `${ms} ms`);
  });

  it('answers the probe with a failure within its timeout', async () => {
    const mysql = new BoundedMysql({ queryTimeoutMs: 1000, acquireTimeoutMs: 200 });
    mysql.createPool({ host: '127.0.0.1', port: server.port, user: 'root', connectionLimit: 1 });
    const started = Date.now();
    await assert.rejects(mysql.probe(300));
    assert.ok(Date.now() - started < 1000);
  });
});
