import { OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { driverErrorCode, isDuplicateKey } from './db-errors';
import { Transactions } from './transactions';

/** Another instance's seeds commit three times: a seed of ours can lose to each of them once. */
const ATTEMPTS = 4;

/**
 * The other instance's rows won the unique keys (MySQL), or its commit made
 * our read stale before we wrote (SQLite in WAL mode refuses the write then).
 */
function lostToAnotherInstance(error: unknown): boolean {
  return isDuplicateKey(error) || driverErrorCode(error) === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * Rows a module needs from its first start on, written at every start where
 * they are missing (as vendure's `RoleService.initRoles()`): in one
 * transaction, after the seeds they build on. Another instance seeding at the
 * same moment may get in the way (see `lostToAnotherInstance`); what it wrote
 * is what we wanted, so the seed runs again and finds the rows there.
 */
export abstract class Seed implements OnApplicationBootstrap {
  private seeding?: Promise<void>;

  protected constructor(
    private readonly transactions: Transactions,
    private readonly buildsOn: readonly Seed[] = [],
  ) {}

  /** Nest calls the modules' hooks in an order of its own: each seed runs those it builds on first. */
  onApplicationBootstrap(): Promise<void> {
    return this.seeded();
  }

  /** Settles once this seed, and those it builds on, have run on this start. */
  seeded(): Promise<void> {
    return (this.seeding ??= this.run());
  }

  /** Writes what is missing; may run more than once, each time in a transaction of its own. */
  protected abstract seed(manager: EntityManager): Promise<void>;

  private async run(): Promise<void> {
    // Awaited outside any transaction: on SQLite transactions queue, and this one would wait for itself.
    for (const seed of this.buildsOn) await seed.seeded();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactions.run((manager) => this.seed(manager));
      } catch (error) {
        if (attempt >= ATTEMPTS || !lostToAnotherInstance(error)) throw error;
      }
    }
  }
}
