import { DataSource, MigrationExecutor } from 'typeorm';
import { dataSourceOptions } from './data-source';
import type { DatabaseConfig } from './database.config';

/** A migration of this build, and whether the database has it. */
export interface MigrationState {
  name: string;
  applied: boolean;
}

/**
 * The migrations of this build against the configured database, by hand (`npm run cli -- migrate …`): the same
 * data source the server opens, without running them at start. Nothing else is open on it meanwhile.
 */
export class MigrationRunner {
  private constructor(private readonly source: DataSource) {}

  static async open(database: DatabaseConfig): Promise<MigrationRunner> {
    // The caller says which migrations ran: TypeORM's own log of them would only repeat it.
    const source = new DataSource({ ...dataSourceOptions(database), migrationsRun: false, logging: ['error'] });
    await source.initialize();
    return new MigrationRunner(source);
  }

  /** Every migration of this build, oldest first. */
  async states(): Promise<MigrationState[]> {
    const applied = new Set((await new MigrationExecutor(this.source).getExecutedMigrations()).map((migration) => migration.name));
    return this.source.migrations.map((migration) => {
      const name = migration.name ?? migration.constructor.name;
      return { name, applied: applied.has(name) };
    });
  }

  /** Runs the pending ones, each in its own transaction as at start; answers their names. */
  async runPending(): Promise<string[]> {
    const executed = await this.source.runMigrations();
    return executed.map((migration) => migration.name);
  }

  /** Reverts the latest applied migration; answers its name, or undefined when none is applied. */
  async revertLast(): Promise<string | undefined> {
    const before = await this.states();
    if (!before.some((state) => state.applied)) return undefined;
    await this.source.undoLastMigration({ transaction: 'each' });
    const after = new Map((await this.states()).map((state) => [state.name, state.applied]));
    return before.find((state) => state.applied && !after.get(state.name))?.name;
  }

  close(): Promise<void> {
    return this.source.destroy();
  }
}
