import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pino from 'pino';
import type { AppConfig } from '../app.config';
import { AppModule } from '../app.module';
import { AuditService } from '../audit/audit.service';
import { PinoNestLogger } from '../common/logger';
import { RevocationService } from '../security/revocation.service';

/** How long a command that revokes waits for the Redis channel, so that other instances hear of it at once. */
const REDIS_WAIT_MS = 2000;

/**
 * The application's modules without an HTTP server, on the configured database: migrations run and seeds are
 * written as at a server's start, and every command goes through the services the API's routes use. What the
 * command queued for the audit log is written before the database closes, as at a server's shutdown.
 */
export async function withAppContext<T>(config: AppConfig, logger: pino.Logger, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  // It checks no tokens, so it does not follow the other instances' revocations (pollMs 0); the log is still read at start.
  const modules = AppModule.forRoot({ ...config, revocation: { ...config.revocation, pollMs: 0 } });
  const app = await NestFactory.createApplicationContext(modules, { logger: new PinoNestLogger(logger), abortOnError: false });
  try {
    return await work(app);
  } finally {
    await app.get(AuditService).flushAtShutdown();
    await app.close();
  }
}

/**
 * With REDIS_URL, a revocation is published on the channel once it commits, and the channel connects in the
 * background: a command that revokes right after start waits for it a little, or the other instances would
 * learn of the revocation only from the database log (within ten REVOCATION_POLL_MS).
 */
export async function awaitRevocationChannel(app: INestApplicationContext): Promise<void> {
  const revocations = app.get(RevocationService);
  const deadline = Date.now() + REDIS_WAIT_MS;
  while (revocations.redisState() === 'down' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
