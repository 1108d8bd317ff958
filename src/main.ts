import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app.config';

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
  const where = config.database.type === 'mysql' ? 'MySQL' : `SQLite at ${config.database.sqlitePath}`;
  new Logger('Bootstrap').log(`Listening on http://${config.host}:${config.port} (${where}); API docs at /docs`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
