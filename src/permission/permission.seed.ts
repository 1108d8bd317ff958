import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Seed } from '../database/seed';
import { Transactions } from '../database/transactions';
import { BUILT_IN_SCOPES } from '../security/scopes';
import { Permission } from './entities/permission.entity';

/** The built-in scopes of the catalog, including ones a newer version adds. */
@Injectable()
export class PermissionSeed extends Seed {
  constructor(transactions: Transactions) {
    super(transactions);
  }

  protected async seed(manager: EntityManager): Promise<void> {
    const repository = manager.getRepository(Permission);
    const existing = new Set((await repository.find({ select: { code: true } })).map((p) => p.code));
    const missing = BUILT_IN_SCOPES.filter((scope) => !existing.has(scope.code));
    if (missing.length > 0) await repository.insert(missing.map((scope) => ({ ...scope, builtIn: true })));
  }
}
