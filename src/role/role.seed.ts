import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Seed } from '../database/seed';
import { Transactions } from '../database/transactions';
import { Permission } from '../permission/entities/permission.entity';
import { PermissionSeed } from '../permission/permission.seed';
import { UserConfig, userConfig } from '../user/user.config';
import { ADMIN_ROLE_KEY, DATA_SCOPE, Role, ROLE_STATUS_NORMAL } from './entities/role.entity';

/** The `admin` role holding every scope of the catalog, and the role self-registered users get. */
@Injectable()
export class RoleSeed extends Seed {
  constructor(
    transactions: Transactions,
    permissions: PermissionSeed,
    @Inject(userConfig.token) private readonly config: UserConfig,
  ) {
    super(transactions, [permissions]);
  }

  protected async seed(manager: EntityManager): Promise<void> {
    await this.ensureAdminRole(manager);
    await this.ensureDefaultRole(manager);
  }

  /**
   * The admin role holds every scope of the catalog, built-in or added,
   * including ones a newer version adds or a database from before this rule lacks.
   */
  private async ensureAdminRole(manager: EntityManager): Promise<void> {
    const repository = manager.getRepository(Role);
    let role = await repository.findOne({ where: { roleKey: ADMIN_ROLE_KEY }, relations: { permissions: true } });
    if (!role) {
      role = repository.create({
        roleName: '管理员',
        roleKey: ADMIN_ROLE_KEY,
        roleSort: 1,
        status: ROLE_STATUS_NORMAL,
        dataScope: DATA_SCOPE.all,
        remark: '超级管理员',
        permissions: [],
      });
    }
    const held = new Set(role.permissions.map((p) => p.code));
    const missing = (await manager.getRepository(Permission).find()).filter((p) => !held.has(p.code));
    if (missing.length > 0 || role.id === undefined) {
      role.permissions = [...role.permissions, ...missing];
      await repository.save(role);
    }
  }

  /** The role self-registered users get: no scopes until an administrator gives it some. */
  private async ensureDefaultRole(manager: EntityManager): Promise<void> {
    const repository = manager.getRepository(Role);
    if (await repository.existsBy({ roleKey: this.config.defaultRoleKey })) return;
    await repository.save(
      repository.create({
        roleName: '普通用户',
        roleKey: this.config.defaultRoleKey,
        roleSort: 99,
        status: ROLE_STATUS_NORMAL,
        dataScope: DATA_SCOPE.self,
        remark: 'Given to self-registered users',
        permissions: [],
      }),
    );
  }
}
