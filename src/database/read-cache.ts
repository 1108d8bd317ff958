import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { DatabaseConfig, databaseConfig } from './database.config';
import { afterCommit } from './transactions';

interface Entry<V> {
  value: V;
  generation: number;
  expiresAt: number;
}

/**
 * Answers of one kind of read, kept for a short time. Any write to the table
 * the cache is for, on this instance, empties it once the write has committed;
 * writes made on other instances show here after at most the time to live.
 * A load that started before a write is never kept.
 */
export class ReadCache<K, V> {
  private generation = 0;
  private readonly entries = new Map<K, Entry<V>>();
  /** One load per key at a time: fifty requests that miss together make one query. */
  private readonly loading = new Map<K, { generation: number; promise: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: K, load: () => Promise<V>, now = Date.now()): Promise<V> {
    if (this.ttlMs <= 0) return load();
    const entry = this.entries.get(key);
    if (entry && entry.generation === this.generation && entry.expiresAt > now) return Promise.resolve(entry.value);
    const pending = this.loading.get(key);
    if (pending && pending.generation === this.generation) return pending.promise;

    const generation = this.generation;
    const promise = load().then(
      (value) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        if (generation === this.generation) this.keep(key, { value, generation, expiresAt: Date.now() + this.ttlMs });
        return value;
      },
      (error: unknown) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, { generation, promise });
    return promise;
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  private keep(key: K, entry: Entry<V>): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }
}

/** A write statement and the table it writes: INSERT INTO t, UPDATE t, DELETE FROM t (quoted or not). */
const WRITE_STATEMENT = /^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?(\w+)[`"]?/i;
const MAX_ENTRIES = 10_000;

/**
 * Hands out ReadCaches by table and empties them on every write to their
 * table. Writes are seen in the statements TypeORM runs (raw queries
 * included), so a write path added later cannot forget to invalidate.
 */
@Injectable()
export class ReadCaches implements EntitySubscriberInterface {
  private readonly byTable = new Map<string, ReadCache<unknown, unknown>[]>();

  constructor(
    dataSource: DataSource,
    @Inject(databaseConfig.token) private readonly config: DatabaseConfig,
  ) {
    dataSource.subscribers.push(this);
  }

  forTable<K, V>(table: string): ReadCache<K, V> {
    return this.forTables<K, V>([table]);
  }

  /** A cache of answers that join several tables: a write to any of them empties it. */
  forTables<K, V>(tables: readonly string[]): ReadCache<K, V> {
    const cache = new ReadCache<K, V>(this.config.readCacheTtlMs, MAX_ENTRIES);
    for (const table of tables) {
      const caches = this.byTable.get(table) ?? [];
      caches.push(cache as ReadCache<unknown, unknown>);
      this.byTable.set(table, caches);
    }
    return cache;
  }

  afterQuery(event: AfterQueryEvent): void {
    if (!event.success || this.byTable.size === 0) return;
    const table = WRITE_STATEMENT.exec(event.query)?.[1];
    const caches = table === undefined ? undefined : this.byTable.get(table);
    if (!caches) return;
    // Emptied now, and again once committed: what was read from the old rows in between is not kept.
    for (const cache of caches) cache.invalidate();
    if (event.manager) afterCommit(event.manager, () => caches.forEach((cache) => cache.invalidate()));
  }
}
