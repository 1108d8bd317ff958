import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app.config';
import { dataSourceOptions } from './src/database/data-source';

try {
  process.loadEnvFile();
} catch {
  // No .env file: the environment alone configures the CLI.
}

/** The DataSource the TypeORM CLI uses: `npm run migration:run`. */
export default new DataSource({ ...dataSourceOptions(loadConfig()), migrationsRun: false });
