import { Logger } from '@nestjs/common';
import { sqlDateTime } from '../database/sql';
import type { Reader } from '../database/transactions';

/** The count stops here: a scrape reads at most this many rows, whatever the size of the table. */
export const ACTIVE_SESSIONS_CAP = 1_000_000;
/** Scrapes within this long of the last count get that count: several scrapers cost one query. */
const CACHE_MS = 5000;

/** Plain SQL every engine we run on accepts; the LIMIT bounds the scan, the GROUP BY runs on what it kept. */
const COUNT_ACTIVE = `SELECT s.type AS type, COUNT(*) AS n FROM (SELECT type FROM auth_session WHERE revoked_at IS NULL AND expires_at > ? LIMIT ${ACTIVE_SESSIONS_CAP}) s GROUP BY s.type`;

/**
 * Sessions neither revoked nor expired, by type, counted at scrape time (never on a request's path), at most
 * every few seconds and with the query bound by ACTIVE_SESSIONS_CAP (and on MySQL by DB_QUERY_TIMEOUT_MS).
 * Undefined when the database did not answer: the gauge then has no sample rather than a stale one.
 */
export class ActiveSessions {
  private readonly logger = new Logger(ActiveSessions.name);
  private cached?: { at: number; counts: Promise<Map<string, number> | undefined> };

  constructor(
    private readonly reader: Reader,
    private readonly now: () => number = Date.now,
  ) {}

  byType(): Promise<Map<string, number> | undefined> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= CACHE_MS) this.cached = { at: now, counts: this.count(now) };
    return this.cached.counts;
  }

  private async count(now: number): Promise<Map<string, number> | undefined> {
    try {
      const rows = await this.reader.query<Array<{ type: string; n: number | string }>>(COUNT_ACTIVE, [sqlDateTime(new Date(now))]);
      return new Map(rows.map((row) => [row.type, Number(row.n)]));
    } catch (error) {
      this.logger.warn(`active sessions not counted: ${(error as Error).message}`);
      return undefined;
    }
  }
}
