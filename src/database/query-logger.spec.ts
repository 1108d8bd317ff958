import 'reflect-metadata';
import { Logger, LoggerService } from '@nestjs/common';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataSource, Entity, PrimaryColumn, Column } from 'typeorm';
import { QueryLogger } from './query-logger';

@Entity('account')
class Account {
  @PrimaryColumn()
  name!: string;

  @Column()
  secretHash!: string;
}

describe('QueryLogger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'query-logger-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('logs a failed statement and the driver’s message to the server log, never its parameters', async () => {
    const lines: unknown[] = [];
    const capture: LoggerService = { log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), debug: (m) => lines.push(m) };
    Logger.overrideLogger(capture);
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      entities: [Account],
      synchronize: true,
      logging: ['error'],
      logger: new QueryLogger(),
    });
    await dataSource.initialize();
    try {
      await dataSource.getRepository(Account).insert({ name: 'alice', secretHash: 'first-secret-hash' });
      await assert.rejects(dataSource.getRepository(Account).insert({ name: 'alice', secretHash: 'second-secret-hash' }));
    } finally {
      await dataSource.destroy();
      Logger.overrideLogger(false);
    }
    const text = JSON.stringify(lines);
    assert.match(text, /query failed/);
    assert.match(text, /INSERT INTO/);
    assert.match(text, /UNIQUE constraint failed/);
    assert.doesNotMatch(text, /secret-hash/);
  });
});
