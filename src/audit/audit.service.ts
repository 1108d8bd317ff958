import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { containsPattern, LIKE_ESCAPE, Page, pageWindow } from '../common/paging';
import { formatTime } from '../common/time';
import { Transactions } from '../database/transactions';
import type { AuditQueryDto, AuditEntryDto } from './dto/audit.dto';
import { AuditLog } from './entities/audit-log.entity';

const FLUSH_EVERY_MS = 500;
const FLUSH_AT = 200;
/** Kept in memory while the database cannot take them; beyond this the oldest are dropped, and that is logged. */
const MAX_PENDING = 20_000;

export type AuditEntry = Omit<AuditLog, 'id'>;

/**
 * Writes the audit log off the request path: entries are queued and inserted
 * in batches every half second, and whatever is queued is written at a clean
 * shutdown, once the last request has been answered and before the database
 * closes (see registerAuditHook).
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditService.name);
  private pending: AuditEntry[] = [];
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly transactions: Transactions) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** The last flush, when no request can add an entry any more; what cannot be written is counted in the log. */
  async flushAtShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.pending.length > 0) {
      this.logger.error(`audit log: ${this.pending.length} entries could not be written before shutdown and are lost`);
      this.pending = [];
    }
  }

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING);
      this.logger.error(`audit log: dropped ${dropped.length} entries the database could not take`);
    }
    if (this.pending.length >= FLUSH_AT) void this.flush();
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0 || !this.transactions.isOpen) return;
    const batch = this.pending;
    this.pending = [];
    // Through Transactions: on SQLite's single shared connection a bare insert would land inside
    // whichever request's transaction is open, and vanish with its rollback.
    this.flushing = this.transactions
      .run((manager) => manager.getRepository(AuditLog).insert(batch))
      .then(
        () => undefined,
        (error: unknown) => {
          // Put them back in front: written at the next flush, in order.
          this.pending = [...batch, ...this.pending];
          this.logger.warn(`audit log: ${batch.length} entries wait for the database: ${(error as Error).message}`);
        },
      )
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async search(query: AuditQueryDto): Promise<Page<AuditEntryDto>> {
    await this.flush();
    const builder = this.transactions.reader.getRepository(AuditLog).createQueryBuilder('a');
    if (query.actor) builder.andWhere('a.actor = :actor', { actor: query.actor });
    if (query.action) builder.andWhere('a.action = :action', { action: query.action });
    if (query.target) builder.andWhere(`a.target LIKE :target ${LIKE_ESCAPE}`, { target: containsPattern(query.target) });
    if (query.from) builder.andWhere('a.time >= :from', { from: query.from });
    if (query.to) builder.andWhere('a.time <= :to', { to: query.to });
    const { skip, take } = pageWindow(query);
    const [rows, total] = await builder.orderBy('a.id', 'DESC').skip(skip).take(take).getManyAndCount();
    return {
      total,
      list: rows.map((row) => ({
        id: row.id,
        time: formatTime(row.time),
        actor: row.actor,
        action: row.action,
        target: row.target,
        ip: row.ip,
        userAgent: row.userAgent,
        outcome: row.outcome,
        details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
      })),
    };
  }
}
