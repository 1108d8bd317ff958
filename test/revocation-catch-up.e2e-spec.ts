import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Transactions } from '../src/database/transactions';
import { Revocation } from '../src/security/entities/revocation.entity';
import { RevocationService } from '../src/security/revocation.service';
import { decodeJwt } from 'jose';
import { as, assertEnvelope, checkToken, login, msUntilRefused, type LoggedIn } from './support/auth-helpers';
import { registeredSession } from './support/fixtures';
import { startTestApp, TestApp, testDatabases } from './support/test-app';

const MINUTE_MS = 60_000;
const HOUR_MS = 3600_000;
/** The other instance reads the log often, so that "within a second" has room to spare. */
const FAST_POLL = { REVOCATION_POLL_MS: '100' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A revocation as an instance whose clock runs minutes behind writes it: dated
 * long before the other instances' last reads of the log.
 */
async function revokeWithSlowClock(t: TestApp, session: LoggedIn, behindMs = 5 * MINUTE_MS): Promise<void> {
  const revokedAt = new Date(Date.now() - behindMs);
  await t.dataSource
    .getRepository(Revocation)
    .insert({ kind: 'session', subject: String(decodeJwt(session.accessToken).sid), revokedAt, expiresAt: new Date(revokedAt.getTime() + HOUR_MS) });
}

/** A TCP relay between one instance and the database server, whose link the test can cut and restore. */
class Relay {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private readonly server: Server;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.relay(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    assert.ok(address && typeof address === 'object');
    return address.port;
  }

  /** Every open connection dropped, new ones refused. */
  cutOff(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.cutOff();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }
}

/** Waits until /health of the instance answers this status, and returns that answer. */
async function healthBecomes(t: TestApp, status: number, limitMs: number) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const health = await t.http().get('/health');
    if (health.status === status) return health;
    assert.ok(Date.now() < deadline, `/health still answers ${health.status} (${JSON.stringify(health.body)}), expected ${status}`);
    await sleep(25);
  }
}

for (const database of testDatabases()) {
  describe(`revocation catch-up on ${database.name}`, () => {
    describe('an instance applies every entry of the revocation log, whatever the clocks of the instances that wrote it', () => {
      it('refuses within a second a session revoked by an instance whose clock is minutes behind', async () => {
        const t = await startTestApp(database, FAST_POLL);
        try {
          const other = await t.restart();
          const session = await registeredSession(t);
          assert.equal((await checkToken(other, session.accessToken)).status, 204);
          const started = Date.now();
          await revokeWithSlowClock(t, session);
          assert.ok((await msUntilRefused(other, session.accessToken, started, 1000)) !== undefined, 'the other instance refused the token within a second');
        } finally {
          await t.close();
        }
      });

      it('GET /health shows how far behind the revocation view is', async () => {
        const t = await startTestApp(database, FAST_POLL);
        try {
          await sleep(300);
          const health = await t.http().get('/health');
          assert.equal(health.status, 200);
          assertEnvelope(health.body, 200);
          assert.equal(typeof health.body.data.revocationLagMs, 'number');
          assert.ok(
            health.body.data.revocationLagMs >= 0 && health.body.data.revocationLagMs < 1000,
            `lag ${health.body.data.revocationLagMs} ms with a 100 ms poll`,
          );
        } finally {
          await t.close();
        }
      });
    });

    describe('a prune of the revocation log is not undone by another transaction’s rollback', () => {
      it('removes the expired entries even while a request’s transaction is open and then rolled back', async () => {
        const t = await startTestApp(database);
        try {
          const session = await registeredSession(t);
          assert.equal((await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`)).status, 200);
          const log = t.dataSource.getRepository(Revocation);
          assert.ok((await log.count()) > 0, 'the logout is in the log');

          let release!: () => void;
          const held = new Promise<void>((resolve) => (release = resolve));
          const request = t.app.get(Transactions).run(async (manager) => {
            await manager.query('SELECT 1');
            await held;
            throw new Error('rolled back');
          });
          await sleep(50);
          // Hours later, when every entry has expired and its hour in the log has passed.
          const pruned = t.app.get(RevocationService).prune(Date.now() + 3 * HOUR_MS);
          await sleep(50);
          release();
          await assert.rejects(request, /rolled back/);
          await pruned;
          assert.equal(await log.count(), 0, 'the prune is not rolled back with the other transaction');
        } finally {
          await t.close();
        }
      });
    });

    if (database.name !== 'mysql') return;

    describe('an instance cut off from the database catches up as soon as its link returns', () => {
      let relay: Relay;
      let relayPort: number;
      before(async () => {
        const server = new URL(process.env.TEST_DATABASE_URL!);
        relay = new Relay(server.hostname, Number(server.port || 3306));
        relayPort = await relay.listen();
      });
      beforeEach(() => {
        // A test that failed while the link was cut must not leave it cut for the next.
        relay.restore();
      });
      after(async () => {
        await relay?.close();
      });

      /** A second instance on the same database that reaches it through the relay. */
      async function instanceBehindRelay(t: TestApp): Promise<TestApp> {
        const url = new URL(t.config.database.url!);
        url.hostname = '127.0.0.1';
        url.port = String(relayPort);
        return t.restart({ DATABASE_URL: url.toString() });
      }

      it('refuses within a second of the restore the tokens revoked meanwhile; /health is 503 while cut and 200 after', async () => {
        const t = await startTestApp(database, FAST_POLL);
        try {
          const cutInstance = await instanceBehindRelay(t);
          const admin = as(t, (await login(t)).accessToken);
          const loggedOut = await registeredSession(t);
          const kickedOut = await registeredSession(t);
          const slowClock = await registeredSession(t);
          for (const session of [loggedOut, kickedOut, slowClock]) assert.equal((await checkToken(cutInstance, session.accessToken)).status, 204);
          await healthBecomes(cutInstance, 200, 1000);

          relay.cutOff();
          const cutAt = Date.now();
          const down = await healthBecomes(cutInstance, 503, 2000);
          assertEnvelope(down.body, 503);

          // Revoked elsewhere while this instance cannot read the log.
          assert.equal((await t.http().post('/auth/logout').set('Authorization', `Bearer ${loggedOut.accessToken}`)).status, 200);
          assert.equal((await admin.post(`/user/${kickedOut.userId}/kickout`)).status, 200);
          // Dated five minutes back: to a read by time ("from a minute before the last successful read")
          // it is as if the link had been cut for longer than that minute.
          await revokeWithSlowClock(t, slowClock);
          // Many polls fail meanwhile.
          await sleep(Math.max(0, 1500 - (Date.now() - cutAt)));
          const stillDown = await cutInstance.http().get('/health');
          assert.equal(stillDown.status, 503);
          assert.ok(stillDown.body.data.revocationLagMs >= 1400, `lag while cut: ${JSON.stringify(stillDown.body.data)}`);
          for (const session of [loggedOut, kickedOut, slowClock])
            assert.equal((await checkToken(cutInstance, session.accessToken)).status, 204, 'nothing arrives while cut');

          relay.restore();
          const restoredAt = Date.now();
          for (const [name, session] of Object.entries({ loggedOut, kickedOut, slowClock })) {
            assert.ok(
              (await msUntilRefused(cutInstance, session.accessToken, restoredAt, 1000)) !== undefined,
              `${name}: refused within a second of the restore`,
            );
          }
          const up = await healthBecomes(cutInstance, 200, 2000);
          assert.ok(up.body.data.revocationLagMs < 1000, `lag after the restore: ${up.body.data.revocationLagMs}`);
        } finally {
          await t.close();
        }
      });

      it('answers 200 on /health only once it has read what it missed', async () => {
        const t = await startTestApp(database, FAST_POLL);
        try {
          const cutInstance = await instanceBehindRelay(t);
          const session = await registeredSession(t);
          await healthBecomes(cutInstance, 200, 1000);
          relay.cutOff();
          await healthBecomes(cutInstance, 503, 2000);
          await revokeWithSlowClock(t, session);
          await sleep(500);
          relay.restore();
          await healthBecomes(cutInstance, 200, 2000);
          assert.equal((await checkToken(cutInstance, session.accessToken)).status, 401, 'ready means caught up');
        } finally {
          await t.close();
        }
      });
    });
  });
}
