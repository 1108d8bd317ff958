import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { Transactions } from '../database/transactions';
import { PasswordService } from '../security/password.service';
import { PasswordConfig, passwordConfig } from '../security/security.config';
import type { ClientInfo } from '../session/client-info';
import { IssuedTokens, SessionIssuer } from '../session/session-issuer.service';
import { User, USER_STATUS_NORMAL, usernameKey } from '../user/entities/user.entity';
import { LoginLimits } from './login-limits';

const loginFailed = () => new AppException('error.loginFailed');

/** The password family's way in: throttled password checks, ending in a session of type password. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionIssuer,
    @Inject(passwordConfig.token) private readonly hashing: PasswordConfig,
    private readonly limits: LoginLimits,
  ) {}

  /** Unknown user, wrong password and disabled user get the same answer, in about the same time. */
  async login(username: string, password: string, client: ClientInfo): Promise<IssuedTokens> {
    const key = usernameKey(username);
    const attempt = await this.limits.begin(key, client.ip);
    let user: User;
    try {
      user = await this.checkPassword(key, password);
    } catch (error) {
      if (error instanceof AppException && error.messageKey === 'error.loginFailed') await attempt.failed();
      else await attempt.abandoned().catch(() => undefined);
      throw error;
    }
    await attempt.succeeded();

    const rehash = this.passwords.needsRehash(user.passwordHash) ? await this.passwords.hash(password) : undefined;
    const issued = await this.sessions.open({ type: 'password', user, client, passwordRehash: rehash });
    if (rehash) this.logger.log(`re-hashed the password of user ${user.id} with ${this.hashing.bcryptRounds} rounds`);
    return issued;
  }

  /** The user whose password this is, if it may log in. */
  private async checkPassword(key: string, password: string): Promise<User> {
    const user = await this.transactions.reader
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.usernameKey = :key', { key })
      .getOne();
    const passwordMatches = await this.passwords.verify(password, user?.passwordHash);
    if (!user || !passwordMatches || user.status !== USER_STATUS_NORMAL) throw loginFailed();
    return user;
  }
}
