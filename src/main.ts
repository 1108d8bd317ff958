import './begin-lean-start';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './app.config';
import { createApp } from './app.factory';
import { endLeanStart } from './common/lean-start';
import { ConfigError } from './config/env-reader';
import { DrainState } from './health/drain-state';

async function bootstrap(): Promise<void> {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the server.
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  endLeanStart();
  const logger = new Logger('Bootstrap');
  const where = config.database.type === 'mysql' ? 'MySQL' : `SQLite at ${config.database.sqlitePath}`;
  logger.log(`Listening on http://${config.host}:${config.port} (${where}); API docs at /docs`);

  // Graceful drain: readiness answers 503 at once (DRAIN_DELAY long, everything is still served, so that load
  // balancers notice and stop sending); then the listener closes, the requests in flight are answered, the
  // audit queue is written (Fastify's onClose), the database closes (Nest's shutdown hooks), and the process exits 0.
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log(`${signal} received: draining${config.drainDelaySeconds > 0 ? ` (ready answers 503 for ${config.drainDelaySeconds} s first)` : ''}`);
    app.get(DrainState).begin();
    setTimeout(
      () => {
        logger.error(`shutdown took longer than ${config.drainDelaySeconds + 10} s: exiting`);
        process.exit(1);
      },
      (config.drainDelaySeconds + 10) * 1000,
    ).unref();
    const delay = new Promise<void>((resolve) => setTimeout(resolve, config.drainDelaySeconds * 1000));
    delay
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ msg: 'shutdown failed', err: error });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
