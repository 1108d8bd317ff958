import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { boundedMysqlOf, PoolUse } from './bounded-mysql';

/** Short enough for a load balancer's health check to get its answer, long enough for a sound database. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether the database answers, for GET /health, and how busy its pool is, for GET /metrics. On MySQL it asks on a
 * connection of its own: a pool busy with (or stuck on) requests must neither
 * delay the answer nor make a sound database look down.
 */
@Injectable()
export class DatabaseProbe {
  /** Concurrent health checks share one probe: a flood of them costs the database one connection. */
  private running?: Promise<boolean>;

  constructor(private readonly dataSource: DataSource) {}

  /** MySQL: how busy the connection pool is; undefined on SQLite, which has none. */
  poolUse(): PoolUse | undefined {
    return boundedMysqlOf(this.dataSource)?.poolUse();
  }

  isUp(): Promise<boolean> {
    this.running ??= this.probe().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probe(): Promise<boolean> {
    if (!this.dataSource.isInitialized) return false;
    try {
      const mysql = boundedMysqlOf(this.dataSource);
      // SQLite runs in this process: it answers at once or not at all.
      if (mysql) await mysql.probe(PROBE_TIMEOUT_MS);
      else await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
