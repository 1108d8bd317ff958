import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { Permission } from '../permission/entities/permission.entity';
import { ADMIN_ROLE_KEY, DATA_SCOPE, Role, ROLE_STATUS_NORMAL } from '../role/entities/role.entity';
import { PasswordService } from '../security/password.service';
import { BUILT_IN_SCOPES } from '../security/scopes';
import { User, USER_STATUS_NORMAL, usernameKey } from '../user/entities/user.entity';
import { isDuplicateKey } from './db-errors';
import { Transactions } from './transactions';

/**
 * First start on an empty database: the built-in scopes, the `admin` role
 * holding every scope of the catalog, and the administrator. Safe to run on
 * every start and by several instances at once.
 */
@Injectable()
export class SeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly passwords: PasswordService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.seed();
    } catch (error) {
      // Another instance seeding at the same moment wins the unique keys; what it wrote is what we wanted.
      if (!isDuplicateKey(error)) throw error;
      await this.seed();
    }
  }

  private async seed(): Promise<void> {
    const generatedPassword = this.config.adminPassword ? undefined : randomBytes(18).toString('base64url');
    const created = await this.transactions.run(async (manager) => {
      await this.ensureBuiltInScopes(manager);
      const adminRole = await this.ensureAdminRole(manager);
      await this.ensureDefaultRole(manager);
      return this.ensureAdministrator(manager, adminRole, this.config.adminPassword ?? generatedPassword!);
    });
    if (created && generatedPassword) {
      this.logger.warn(
        `Created the administrator "${this.config.adminUsername}" with the generated password ${generatedPassword} ; it is shown only this once: change it, or set ADMIN_PASSWORD before the first start.`,
      );
    } else if (created) {
      this.logger.log(`Created the administrator "${this.config.adminUsername}" with the password from ADMIN_PASSWORD`);
    }
  }

  private async ensureBuiltInScopes(manager: EntityManager): Promise<void> {
    const repository = manager.getRepository(Permission);
    const existing = new Set((await repository.find({ select: { code: true } })).map((p) => p.code));
    const missing = BUILT_IN_SCOPES.filter((scope) => !existing.has(scope.code));
    if (missing.length > 0) await repository.insert(missing.map((scope) => ({ ...scope, builtIn: true })));
  }

  /**
   * The admin role holds every scope of the catalog, built-in or added,
   * including ones a newer version adds or a database from before this rule lacks.
   */
  private async ensureAdminRole(manager: EntityManager): Promise<Role> {
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
      role = await repository.save(role);
    }
    return role;
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

  /** Only into an empty user table: a deleted or renamed administrator is not brought back. */
  private async ensureAdministrator(manager: EntityManager, adminRole: Role, password: string): Promise<boolean> {
    const users = manager.getRepository(User);
    if ((await users.count()) > 0) return false;
    const user = users.create({
      username: this.config.adminUsername,
      usernameKey: usernameKey(this.config.adminUsername),
      passwordHash: await this.passwords.hash(password),
      nickname: '管理员',
      status: USER_STATUS_NORMAL,
      remark: 'Created at first start',
      roles: [adminRole],
    });
    await users.save(user);
    return true;
  }
}
