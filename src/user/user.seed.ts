import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Seed } from '../database/seed';
import { afterCommit, Transactions } from '../database/transactions';
import { ADMIN_ROLE_KEY, Role } from '../role/entities/role.entity';
import { RoleSeed } from '../role/role.seed';
import { PasswordService } from '../security/password.service';
import { User, USER_STATUS_NORMAL, usernameKey } from './entities/user.entity';
import { UserConfig, userConfig } from './user.config';

/** The administrator, holding the admin role; only into an empty user table: a deleted or renamed one is not brought back. */
@Injectable()
export class UserSeed extends Seed {
  private readonly logger = new Logger(UserSeed.name);

  constructor(
    transactions: Transactions,
    roles: RoleSeed,
    private readonly passwords: PasswordService,
    @Inject(userConfig.token) private readonly config: UserConfig,
  ) {
    super(transactions, [roles]);
  }

  protected async seed(manager: EntityManager): Promise<void> {
    const users = manager.getRepository(User);
    if ((await users.count()) > 0) return;
    const adminRole = await manager.getRepository(Role).findOneByOrFail({ roleKey: ADMIN_ROLE_KEY });
    const generatedPassword = this.config.adminPassword ? undefined : randomBytes(18).toString('base64url');
    const username = this.config.adminUsername;
    await users.save(
      users.create({
        username,
        usernameKey: usernameKey(username),
        passwordHash: await this.passwords.hash(this.config.adminPassword ?? generatedPassword!),
        nickname: '管理员',
        status: USER_STATUS_NORMAL,
        remark: 'Created at first start',
        roles: [adminRole],
      }),
    );
    // Told only once the row is there: a password shown for an administrator another instance created would be a lie.
    afterCommit(manager, () => {
      if (generatedPassword) {
        this.logger.warn(
          `Created the administrator "${username}" with the generated password ${generatedPassword} ; it is shown only this once: change it, or set ADMIN_PASSWORD before the first start.`,
        );
      } else {
        this.logger.log(`Created the administrator "${username}" with the password from ADMIN_PASSWORD`);
      }
    });
  }
}
