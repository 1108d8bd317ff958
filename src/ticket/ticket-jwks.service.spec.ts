import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transactions } from '../database/transactions';
import type { TicketKey } from './entities/ticket-key.entity';
import { TicketRevision } from './entities/ticket-revision.entity';
import type { Ticket } from './entities/ticket.entity';
import type { TicketConfig } from './ticket.config';
import { TicketJwksService } from './ticket-jwks.service';

const HOUR = 3_600_000;
const jwk = (kid: string) => JSON.stringify({ kty: 'RSA', kid, n: 'n', e: 'AQAB', alg: 'RS256', use: 'sig' });

/** A database holding live keys and the revision row; counts the queries. */
function fakeDatabase() {
  const database = {
    revision: 0,
    rows: [] as TicketKey[],
    queries: 0,
    /** Resolves the next key query when called; immediate by default. */
    hold: undefined as undefined | Promise<void>,
    key(kid: string, gatewayId: number, from: number, until: number, expiresAt: number | null = null) {
      const ticket = { gatewayId, validStartTime: new Date(from), validEndTime: new Date(until) } as Ticket;
      database.rows.push({ kid, publicJwk: jwk(kid), expiresAt: expiresAt === null ? null : new Date(expiresAt), ticket } as TicketKey);
    },
  };
  const builder = {
    innerJoinAndSelect: () => builder,
    where: () => builder,
    andWhere: () => builder,
    orderBy: () => builder,
    getMany: async () => {
      database.queries++;
      const rows = [...database.rows];
      await database.hold;
      return rows;
    },
  };
  const reader = {
    getRepository: (target: unknown) =>
      target === TicketRevision
        ? {
            findOneBy: async () => {
              database.queries++;
              return { id: 1, revision: database.revision };
            },
          }
        : { createQueryBuilder: () => builder },
  };
  const transactions = { reader, isOpen: true } as unknown as Transactions;
  return { database, transactions };
}

const config = (rotationGraceSeconds: number): TicketConfig => ({ rotationGraceSeconds });
const kids = (body: string) => (JSON.parse(body) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

describe('TicketJwksService', () => {
  it('answers each gateway’s keys valid at the time, serialised, without a query per request', async () => {
    const { database, transactions } = fakeDatabase();
    const now = Date.now();
    database.key('current', 70, now - HOUR, now + HOUR);
    database.key('rotated-out', 70, now - HOUR, now + HOUR, now + 60_000);
    database.key('not-yet', 70, now + 10 * HOUR, now + 20 * HOUR);
    database.key('other-gateway', 71, now - HOUR, now + HOUR);
    const jwks = new TicketJwksService(transactions, config(86400));
    await jwks.refresh();
    const queries = database.queries;

    assert.deepEqual(kids(jwks.answer(70, now)), ['current', 'rotated-out']);
    assert.equal(jwks.answer(70, now), jwks.answer(70, now + 1000), 'the same answer while nothing changes');
    assert.deepEqual(JSON.parse(jwks.answer(70, now)).keys[0], JSON.parse(jwk('current')));
    assert.deepEqual(kids(jwks.answer(70, now + 61_000)), ['current'], 'a rotated-out key leaves at the end of its grace');
    assert.deepEqual(kids(jwks.answer(70, now + 11 * HOUR)), ['not-yet'], 'a ticket’s key enters at its start and leaves at its end');
    assert.deepEqual(kids(jwks.answer(71, now)), ['other-gateway']);
    assert.equal(jwks.answer(72, now), '{"keys":[]}');
    assert.equal(database.queries, queries, 'no query for any answer');
  });

  it('reloads when the revision changes, and only then', async () => {
    const { database, transactions } = fakeDatabase();
    const now = Date.now();
    database.key('first', 70, now - HOUR, now + HOUR);
    const jwks = new TicketJwksService(transactions, config(86400));
    await jwks.refresh();
    database.key('second', 70, now - HOUR, now + HOUR);
    await (jwks as unknown as { poll(): Promise<void> }).poll();
    assert.deepEqual(kids(jwks.answer(70, now)), ['first'], 'the same revision: not reloaded');
    database.revision++;
    await (jwks as unknown as { poll(): Promise<void> }).poll();
    assert.deepEqual(kids(jwks.answer(70, now)), ['first', 'second']);
  });

  it('makes a refresh asked during a load wait for a load that starts after it', async () => {
    const { database, transactions } = fakeDatabase();
    const now = Date.now();
    const jwks = new TicketJwksService(transactions, config(86400));
    let release!: () => void;
    database.hold = new Promise<void>((resolve) => (release = resolve));
    const running = jwks.refresh();
    await new Promise((resolve) => setImmediate(resolve));
    // A write committed while the load was reading: its key is not in what that load read.
    database.key('written', 70, now - HOUR, now + HOUR);
    database.hold = undefined;
    const afterWrite = jwks.refresh();
    assert.equal(jwks.refresh(), afterWrite, 'callers meanwhile share the next load');
    release();
    await running;
    await afterWrite;
    assert.deepEqual(kids(jwks.answer(70, now)), ['written']);
  });

  it('lets gateways cache the answer a minute at most, never longer than the grace period', () => {
    const { transactions } = fakeDatabase();
    assert.equal(new TicketJwksService(transactions, config(86400)).cacheControl, 'public, max-age=60');
    assert.equal(new TicketJwksService(transactions, config(5)).cacheControl, 'public, max-age=5');
  });
});
