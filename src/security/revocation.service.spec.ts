import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataSource, EntityManager, FindOperator } from 'typeorm';
import type { AppConfig } from '../config/app.config';
import { Revocation } from './entities/revocation.entity';
import type { Principal } from './principal';
import { RevocationService } from './revocation.service';

const MINUTE = 60_000;
const DAY = 86400_000;
const config = { jwt: { accessTtlSeconds: 600 }, mintMaxTtlSeconds: 30 * 86400, revocationPollMs: 0 } as AppConfig;

type Where = Partial<Record<'expiresAt' | 'revokedAt', FindOperator<Date>>>;

/** The revocation log in memory: the repository calls the service makes, and the operators it uses. */
class FakeLog {
  rows: Revocation[] = [];

  async insert(rows: Array<Omit<Revocation, 'id'>>): Promise<void> {
    for (const row of rows) this.rows.push({ id: this.rows.length + 1, ...row });
  }

  async find(options: { where: Where }): Promise<Revocation[]> {
    return this.rows.filter((row) => this.matches(row, options.where));
  }

  async delete(where: Where): Promise<void> {
    this.rows = this.rows.filter((row) => !this.matches(row, where));
  }

  private matches(row: Revocation, where: Where): boolean {
    return Object.entries(where).every(([column, operator]) => {
      const value = row[column as keyof Where].getTime();
      const bound = (operator.value as Date).getTime();
      if (operator.type === 'moreThan') return value > bound;
      if (operator.type === 'lessThan') return value < bound;
      throw new Error(`the fake log does not know ${operator.type}`);
    });
  }
}

function setUp(log = new FakeLog()) {
  const database = { getRepository: () => log } as unknown as DataSource & EntityManager;
  return { log, database, service: new RevocationService(database, config) };
}

function token(overrides: Partial<Principal> = {}): Principal {
  return { jti: 'j', iss: 'i', sub: '7', aud: 'a', iat: 0, exp: 0, sid: 'login-1', scope: [], ...overrides };
}

/** A token of this build issued at `ms`, or (legacy) one of an older build with only whole seconds. */
const issuedAt = (ms: number, legacy = false): Principal =>
  token(legacy ? { iat: Math.floor(ms / 1000) } : { iat: Math.floor(ms / 1000), iat_ms: ms });

describe('RevocationService', () => {
  it('keeps a minted token’s revocation until the token has expired, not just an access token’s life', async () => {
    const { log, database, service } = setUp();
    const now = Date.now();
    const tokensExpireAt = new Date(now + 20 * DAY);
    await service.revokeSessions(database, [{ id: 'minted-1', tokensExpireAt }, { id: 'login-1' }], new Date(now));
    assert.deepEqual(
      log.rows.map((row) => [row.subject, row.expiresAt.getTime() - now]),
      [
        ['minted-1', 20 * DAY + MINUTE],
        ['login-1', 10 * MINUTE + MINUTE],
      ],
    );

    await service.prune(now + 19 * DAY);
    assert.ok(service.isRevoked(token({ sid: 'minted-1' })), 'nineteen days later');
    assert.ok(!service.isRevoked(token({ sid: 'login-1' })), 'the login’s access tokens have expired');
    assert.deepEqual(
      log.rows.map((row) => row.subject),
      ['minted-1'],
      'the log keeps what is in force',
    );

    await service.prune(now + 20 * DAY + 2 * MINUTE);
    assert.ok(!service.isRevoked(token({ sid: 'minted-1' })), 'forgotten once the token has expired');
    assert.equal(log.rows.length, 1, 'in the log for an hour more');
    await service.prune(now + 20 * DAY + 62 * MINUTE);
    assert.equal(log.rows.length, 0);
  });

  it('keeps a user-wide revocation as long as a minted token can live, and loads it again at start', async () => {
    const { log, database, service } = setUp();
    const now = Date.now();
    await service.revokeUser(database, 7, new Date(now));
    assert.equal(log.rows[0].expiresAt.getTime() - now, 30 * DAY + MINUTE);

    const restarted = setUp(log).service;
    await restarted.onApplicationBootstrap();
    try {
      await restarted.prune(now + 29 * DAY);
      assert.ok(restarted.isRevoked(issuedAt(now - 1000)), 'a token issued before it, 29 days later, after a restart');
      await restarted.prune(now + 30 * DAY + 2 * MINUTE);
      assert.ok(!restarted.isRevoked(issuedAt(now - 1000)));
    } finally {
      await restarted.onModuleDestroy();
    }
  });

  it('keeps a user-wide revocation longer when one of the user’s tokens is known to expire later', async () => {
    const { log, database, service } = setUp();
    const now = Date.now();
    await service.revokeUser(database, 7, new Date(now), new Date(now + 40 * DAY));
    assert.equal(log.rows[0].expiresAt.getTime() - now, 40 * DAY + MINUTE);
    await service.revokeUser(database, 8, new Date(now), new Date(now + DAY));
    assert.equal(log.rows[1].expiresAt.getTime() - now, 30 * DAY + MINUTE, 'never shorter than a token can live');
  });

  it('refuses a user’s tokens issued up to the millisecond of the revocation, and those of older builds up to its second', async () => {
    const { database, service } = setUp();
    const revokedAt = Math.floor(Date.now() / 1000) * 1000 + 400;
    await service.revokeUser(database, 7, new Date(revokedAt));
    assert.ok(service.isRevoked(issuedAt(revokedAt - 1)));
    assert.ok(service.isRevoked(issuedAt(revokedAt)));
    assert.ok(!service.isRevoked(issuedAt(revokedAt + 1)), 'a login in the same second, after it');
    assert.ok(service.isRevoked(issuedAt(revokedAt + 500, true)), 'an older build’s token of that second');
    assert.ok(!service.isRevoked(issuedAt(revokedAt + 600, true)), 'an older build’s token of the next second');
    assert.ok(!service.isRevoked({ ...issuedAt(revokedAt - 1), sub: '8' }), 'another user');
  });

  it('never shortens what it knows when an older entry arrives again', async () => {
    const { database, service } = setUp();
    const now = Date.now();
    await service.revokeUser(database, 7, new Date(now));
    await service.revokeUser(database, 7, new Date(now - 5000));
    assert.ok(service.isRevoked(issuedAt(now - 1)), 'the later revocation still counts');
    await service.revokeSessions(database, [{ id: 'minted-2', tokensExpireAt: new Date(now + DAY) }], new Date(now));
    await service.revokeSessions(database, [{ id: 'minted-2' }], new Date(now));
    await service.prune(now + DAY - MINUTE);
    assert.ok(service.isRevoked(token({ sid: 'minted-2' })));
  });
});
