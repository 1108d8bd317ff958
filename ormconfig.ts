import 'reflect-metadata';
import { loadSlices } from './src/config/config-slice';
import { databaseConfig } from './src/database/database.config';
import { dataSourceOptions, MigratingDataSource } from './src/database/data-source';

try {
  process.loadEnvFile();
} catch {
  // No .env file: the environment alone configures the CLI.
}

/** The DataSource the TypeORM CLI uses: `npm run migration:run`. It reads only the database's settings. */
export default new MigratingDataSource({ ...dataSourceOptions(loadSlices({ database: databaseConfig }, process.env).database), migrationsRun: false });
