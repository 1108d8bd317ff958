import './begin-lean-start';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './app.config';
import { createApp } from './app.factory';
import { endLeanStart } from './common/lean-start';
import { ConfigError } from './config/env-reader';

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

  // Graceful shutdown: stop accepting, let requests in flight finish, close the database, exit 0.
  const shutdown = (signal: NodeJS.Signals) => {
    logger.log(`${signal} received: shutting down`);
    setTimeout(() => {
      logger.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, 10_000).unref();
    app.close().then(
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
