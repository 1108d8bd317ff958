import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource, MoreThan } from 'typeorm';
import { Session } from '../auth/entities/session.entity';
import { APP_CONFIG, AppConfig } from '../config/app.config';

/**
 * The in-memory view of revoked sessions that the guard consults on every
 * request, so revocation costs no database query per request.
 *
 * The database (auth_session.revoked_at) is the record; this view is loaded
 * from it at start and updated by `revoke`. An entry is needed only while an
 * access token of that session can still be unexpired, i.e. for one access
 * token lifetime after the revocation, and is forgotten after that. To share
 * revocations between instances, a feed (a revocation log polled from the
 * database, or Redis pub/sub) only has to call `remember` for what others revoke.
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  private readonly revokedSessions = new Map<string, number>();
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
    this.pruneTimer = setInterval(() => this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  isSessionRevoked(sessionId: string): boolean {
    return this.revokedSessions.has(sessionId);
  }

  /** Record a revocation that is already stored in the database. */
  remember(sessionId: string, revokedAt: Date): void {
    this.revokedSessions.set(sessionId, revokedAt.getTime() + this.ttlMs());
  }

  get size(): number {
    return this.revokedSessions.size;
  }

  private async load(): Promise<void> {
    const since = new Date(Date.now() - this.ttlMs());
    const rows = await this.dataSource.getRepository(Session).find({
      select: { id: true, revokedAt: true },
      where: { revokedAt: MoreThan(since) },
    });
    for (const row of rows) if (row.revokedAt) this.remember(row.id, row.revokedAt);
    this.logger.log(`loaded ${rows.length} recently revoked sessions`);
  }

  private prune(now = Date.now()): void {
    for (const [sessionId, forgetAt] of this.revokedSessions) {
      if (forgetAt <= now) this.revokedSessions.delete(sessionId);
    }
  }

  /** Tokens are checked to the second and clocks drift: keep entries a minute longer than a token lives. */
  private ttlMs(): number {
    return (this.config.jwt.accessTtlSeconds + 60) * 1000;
  }
}
