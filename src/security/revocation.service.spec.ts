import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityManager, FindOperator } from 'typeorm';
import type { Transactions } from '../database/transactions';
import { Revocation } from './entities/revocation.entity';
import type { Principal } from './principal';
import { RevocationService } from './revocation.service';
import type { JwtConfig, RevocationConfig } from './security.config';

const MINUTE = 60_000;
const DAY = 86400_000;
const config: RevocationConfig = { pollMs: 0 };
const jwt = { accessTtlSeconds: 600, mintMaxTtlSeconds: 30 * 86400 } as JwtConfig;

type Column = 'id' | 'expiresAt' | 'revokedAt';
type Where = Partial<Record<Column, FindOperator<Date | number>>>;

const numeric = (value: Date | number) => (value instanceof Date ? value.getTime() : value);

/**
 * The revocation log in memory: the repository calls the service makes, and the operators it uses.
 * Rows inserted as `pending` are not visible yet, as those of a transaction that has not committed.
 */
class FakeLog {
  rows: Revocation[] = [];
  private readonly pending = new Set<number>();
  private nextId = 1;
  /** Set to make every query fail, as when the database cannot be reached. */
  unreachable = false;

  async insert(rows: Array<Omit<Revocation, 'id'>>, options: { pending?: boolean } = {}): Promise<number[]> {
    return rows.map((row) => {
      const id = this.nextId++;
      this.rows.push({ id, ...row });
      if (options.pending) this.pending.add(id);
      return id;
    });
  }

  commit(id: number): void {
    this.pending.delete(id);
  }

  async find(options: { where: Where | Where[]; order?: { id: 'ASC' }; take?: number }): Promise<Revocation[]> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    const alternatives = Array.isArray(options.where) ? options.where : [options.where];
    const rows = this.rows.filter((row) => !this.pending.has(row.id) && alternatives.some((where) => this.matches(row, where)));
    if (options.order) rows.sort((a, b) => a.id - b.id);
    return options.take === undefined ? rows : rows.slice(0, options.take);
  }

  async delete(where: Where): Promise<void> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    this.rows = this.rows.filter((row) => this.pending.has(row.id) || !this.matches(row, where));
  }

  private matches(row: Revocation, where: Where): boolean {
    return Object.entries(where).every(([column, operator]) => {
      const value = numeric(row[column as Column]);
      if (operator.type === 'moreThan') return value > numeric(operator.value as Date | number);
      if (operator.type === 'lessThan') return value < numeric(operator.value as Date | number);
      if (operator.type === 'between') {
        const [from, to] = (operator.value as unknown as Array<Date | number>).map(numeric);
        return value >= from && value <= to;
      }
      throw new Error(`the fake log does not know ${operator.type}`);
    });
  }
}

function setUp(log = new FakeLog(), settings: Partial<RevocationConfig> = {}) {
  const database = { getRepository: () => log } as unknown as EntityManager;
  const transactions = { run: <T>(work: (manager: EntityManager) => Promise<T>) => work(database) } as Transactions;
  return { log, database, service: new RevocationService(transactions, { ...config, ...settings }, jwt) };
}

/** A session revocation as another instance writes it, dated by its own clock. */
function entryOf(sessionId: string, revokedAt: number): Omit<Revocation, 'id'> {
  return { kind: 'session', subject: sessionId, revokedAt: new Date(revokedAt), expiresAt: new Date(revokedAt + DAY) };
}

/** Runs the service's poll of the log once, as its timer does. */
const poll = (service: RevocationService) => (service as unknown as { poll(): Promise<void> }).poll();

function token(overrides: Partial<Principal> = {}): Principal {
  return { jti: 'j', iss: 'i', sub: '7', aud: 'a', iat: 0, exp: 0, sid: 'login-1', scope: [], ...overrides };
}

/** A token of this build issued at `ms`, or (legacy) one of an older build with only whole seconds. */
const issuedAt = (ms: number, legacy = false): Principal => token(legacy ? { iat: Math.floor(ms / 1000) } : { iat: Math.floor(ms / 1000), iat_ms: ms });

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

  it('applies the entries other instances appended, however long ago its last read was and whatever their clocks said', async () => {
    const { log, service } = setUp();
    await service.onApplicationBootstrap();
    try {
      const now = Date.now();
      await log.insert([entryOf('written-by-a-slow-clock', now - 10 * MINUTE), entryOf('written-by-a-fast-clock', now + 10 * MINUTE)]);
      log.unreachable = true;
      await poll(service);
      log.unreachable = false;
      await poll(service);
      assert.ok(service.isRevoked(token({ sid: 'written-by-a-slow-clock' })));
      assert.ok(service.isRevoked(token({ sid: 'written-by-a-fast-clock' })));
    } finally {
      await service.onModuleDestroy();
    }
  });

  it('applies an entry whose transaction commits after a later one was read (ids commit out of order)', async () => {
    const { log, service } = setUp();
    await service.onApplicationBootstrap();
    try {
      const now = Date.now();
      // Its transaction took its time: dated two minutes before it commits.
      const [slow] = await log.insert([entryOf('slow-transaction', now - 2 * MINUTE)], { pending: true });
      await log.insert([entryOf('quick-transaction', now)]);
      await poll(service);
      assert.ok(service.isRevoked(token({ sid: 'quick-transaction' })));
      assert.ok(!service.isRevoked(token({ sid: 'slow-transaction' })), 'not committed yet');
      await poll(service);
      log.commit(slow);
      await poll(service);
      assert.ok(service.isRevoked(token({ sid: 'slow-transaction' })), 'read once it has committed');
    } finally {
      await service.onModuleDestroy();
    }
  });

  it('is current while it reads the log, and says how long ago it last did', async () => {
    const { log, service } = setUp(new FakeLog(), { pollMs: 50 });
    await service.onApplicationBootstrap();
    try {
      assert.ok(service.isCurrent());
      assert.ok(service.lagMs()! < 1000);
      log.unreachable = true;
      await poll(service);
      assert.ok(service.isCurrent(), 'one failed read is not yet a reason to be unready');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await poll(service);
      assert.ok(!service.isCurrent(), 'unready after a few failed periods');
      assert.ok(service.lagMs()! >= 200);
      log.unreachable = false;
      await poll(service);
      assert.ok(service.isCurrent());
    } finally {
      await service.onModuleDestroy();
    }
  });

  it('reports no lag without polling: a single instance needs none', async () => {
    const { service } = setUp();
    await service.onApplicationBootstrap();
    assert.equal(service.lagMs(), undefined);
    assert.ok(service.isCurrent());
  });
});
