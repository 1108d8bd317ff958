import type { AppConfig } from '../app.config';
import { MigrationRunner } from '../database/migration-runner';
import { CommandFailure } from './cli-args';
import type { CommandRun } from './commands';

async function withMigrations(config: AppConfig, work: (runner: MigrationRunner) => Promise<void>): Promise<void> {
  const runner = await MigrationRunner.open(config.database);
  try {
    await work(runner);
  } finally {
    await runner.close();
  }
}

export async function migrateRun({ config, out }: CommandRun): Promise<void> {
  await withMigrations(config, async (runner) => {
    const applied = await runner.runPending();
    if (applied.length === 0) out('no pending migrations');
    for (const name of applied) out(`applied ${name}`);
  });
}

export async function migrateRevert({ config, out }: CommandRun): Promise<void> {
  await withMigrations(config, async (runner) => {
    const reverted = await runner.revertLast();
    if (!reverted) throw new CommandFailure('no migration is applied: nothing to revert');
    out(`reverted ${reverted}`);
  });
}

export async function migrateShow({ config, out }: CommandRun): Promise<void> {
  await withMigrations(config, async (runner) => {
    for (const state of await runner.states()) out(`${state.applied ? 'applied' : 'pending'} ${state.name}`);
  });
}
