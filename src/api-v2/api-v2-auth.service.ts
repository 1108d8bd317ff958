import { Inject, Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { invalidInput } from '../common/validation';
import { isDuplicateKey } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { LoginLimits } from '../auth/login-limits';
import { Role } from '../role/entities/role.entity';
import { bearerToken } from '../security/access-token.guard';
import { fitsBcrypt, PasswordService } from '../security/password.service';
import type { Principal } from '../security/principal';
import { limitKey, Limits } from '../security/limits';
import { RevocationService } from '../security/revocation.service';
import { TokenService } from '../security/token.service';
import type { ClientInfo } from '../session/client-info';
import { LoginSessionType } from '../session/entities/session.entity';
import { IssuedTokens, LoginRequest, SessionIssuer } from '../session/session-issuer.service';
import { isCommonPassword } from '../user/common-passwords';
import { USERNAME } from '../user/dto/user.dto';
import { User, USER_STATUS_NORMAL, usernameKey } from '../user/entities/user.entity';
import { UserConfig, userConfig } from '../user/user.config';
import { mainlandPhone, normalEmail } from './addresses';
import { ApiV2Config, apiV2Config } from './api-v2.config';
import type { LoginV2Dto, RegisterV2Dto } from './dto/api-v2.dto';
import { VerifyChannel } from './entities/verify-code.entity';
import { CheckedCode, VerifyCodeService } from './verify-code.service';

/** The family's sessions, which its refresh route continues: its own logins and the mini-program's. */
const API_V2_SESSION_TYPES: readonly LoginSessionType[] = ['mobile', 'wechat'];

const loginFailed = () => new AppException('error.v2LoginFailed');
const tokenInvalid = () => new AppException('error.v2TokenInvalid');
const wrongCode = () => invalidInput('verifiableCode', 'verifyCode');

/** The unique keys of sys_user a registration can hit (SQLite names the column), and the field it names. */
const UNIQUE_FIELDS: Array<[string, string, string]> = [
  ['uq_user_username_key', 'username_key', 'name'],
  ['uq_user_phone', 'phone', 'phone'],
  ['uq_user_email', 'email', 'email'],
];

/** A user found for a login, with its password hash. */
type LoginUser = User & { passwordHash: string };

/**
 * Document 002's ways in: registration and login with a password or a verification code, each ending in a
 * session of type mobile; and the family's refresh, which continues a session from its one token.
 */
@Injectable()
export class ApiV2AuthService {
  constructor(
    private readonly transactions: Transactions,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionIssuer,
    private readonly codes: VerifyCodeService,
    private readonly loginLimits: LoginLimits,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
    private readonly limits: Limits,
    @Inject(apiV2Config.token) private readonly config: ApiV2Config,
    @Inject(userConfig.token) private readonly users: UserConfig,
  ) {}

  /** Sends a code to a phone or an email: at most LIMIT_CODE_SEND_PER_DESTINATION_MAX a window, whoever asks. */
  async sendCode(input: { phone?: string; email?: string }): Promise<void> {
    const [channel, destination] = addressOf(input);
    await this.limits.address('codeSendPerDestination').take(limitKey(channel, destination));
    return this.codes.send(channel, destination);
  }

  /**
   * A new user, with the default role and the address its code was sent to, and its first session: all in
   * one transaction with the code's use. A taken name, phone or email is a 422 naming the field.
   */
  async register(input: RegisterV2Dto, client: ClientInfo): Promise<IssuedTokens> {
    if (!this.users.registrationEnabled) throw new AppException('error.registrationClosed');
    const name = input.name.normalize('NFKC').trim();
    if (!USERNAME.test(name)) throw invalidInput('name', 'matches', USERNAME);
    const channel: VerifyChannel = input.verifiableType;
    const field = channel === 'sms' ? 'phone' : 'email';
    const given = input[field];
    if (given === undefined) throw invalidInput(field, 'required');
    const destination = channel === 'sms' ? mainlandPhone(given)! : normalEmail(given)!;
    if (input.password !== undefined) assertAcceptablePassword(input.password);
    await this.assertFree(name, field, destination);

    const checked = await this.codes.check(channel, destination, input.verifiableCode);
    if (!checked) throw wrongCode();
    // bcrypt before the transaction: on SQLite every write waits while one is open. No password: no hash a password can match.
    const passwordHash = input.password !== undefined ? await this.passwords.hash(input.password) : '';
    try {
      return await this.sessions.openAfter(async (manager) => {
        if (!(await this.codes.consume(manager, checked))) throw wrongCode();
        const defaultRole = await manager.getRepository(Role).findOneBy({ roleKey: this.users.defaultRoleKey });
        const users = manager.getRepository(User);
        const user = await users.save(
          users.create({
            username: name,
            usernameKey: usernameKey(name),
            passwordHash,
            [field]: destination,
            status: USER_STATUS_NORMAL,
            roles: defaultRole ? [defaultRole] : [],
          }),
        );
        return this.loginRequest(user, client);
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const text = String((error as { driverError?: { message?: string } }).driverError?.message ?? (error as Error).message);
      const taken = UNIQUE_FIELDS.find(([index, column]) => text.includes(`'${index}'`) || text.includes(`.${index}'`) || text.endsWith(`sys_user.${column}`));
      throw taken ? invalidInput(taken[2], 'taken') : new AppException('error.conflict');
    }
  }

  /**
   * By name, email or phone with a password, or by email or phone with a code: every failure the same 401,
   * throttled as the password login is (LOGIN_MAX_FAILURES per login and address, and per address).
   */
  async login(input: LoginV2Dto, client: ClientInfo): Promise<IssuedTokens> {
    if (input.password === undefined && input.verifiable_code === undefined) throw invalidInput('password', 'requiredOneOf', 'verifiable_code');
    const key = usernameKey(input.login.trim());
    const attempt = await this.loginLimits.begin(key, client.ip);
    let issued: IssuedTokens;
    try {
      issued =
        input.password !== undefined
          ? await this.loginWithPassword(input.login, input.password, client)
          : await this.loginWithCode(input.login, input.verifiable_code!, client);
    } catch (error) {
      if (error instanceof AppException && error.messageKey === 'error.v2LoginFailed') await attempt.failed();
      else await attempt.abandoned().catch(() => undefined);
      throw error;
    }
    await attempt.succeeded();
    return issued;
  }

  /** A new token for the one in `Authorization`, valid or expired, while its session is within refresh_ttl of its login. */
  async refresh(authorization: string | undefined): Promise<IssuedTokens> {
    const token = bearerToken(authorization);
    const principal = token ? this.tokens.verifyIgnoringExpiry(token) : undefined;
    if (!principal || this.revocations.isRevoked(principal)) throw tokenInvalid();
    try {
      return await this.sessions.renew(principal, API_V2_SESSION_TYPES);
    } catch (error) {
      if (error instanceof AppException && error.messageKey === 'error.refreshInvalid') throw tokenInvalid();
      throw error;
    }
  }

  /** Ends the session of the caller's token: that token and every other of the session stop working at once. */
  async logout(caller: Principal): Promise<void> {
    await this.sessions.revoke(caller.sid, 'logout');
  }

  private async loginWithPassword(login: string, password: string, client: ClientInfo): Promise<IssuedTokens> {
    const user = (await this.findByAddress(login)) ?? (await this.findByName(login));
    const matches = await this.passwords.verify(password, user?.passwordHash);
    if (!user || !matches || user.status !== USER_STATUS_NORMAL) throw loginFailed();
    const rehash = this.passwords.needsRehash(user.passwordHash) ? await this.passwords.hash(password) : undefined;
    return this.sessions.open({ ...this.loginRequest(user, client), passwordRehash: rehash });
  }

  private async loginWithCode(login: string, code: string, client: ClientInfo): Promise<IssuedTokens> {
    const phone = mainlandPhone(login);
    const email = phone ? undefined : normalEmail(login);
    if (!phone && !email) throw loginFailed();
    const checked: CheckedCode | undefined = await this.codes.check(phone ? 'sms' : 'mail', (phone ?? email)!, code);
    if (!checked) throw loginFailed();
    const user = await this.findByAddress(login);
    if (!user || user.status !== USER_STATUS_NORMAL) throw loginFailed();
    return this.sessions.openAfter(async (manager) => {
      if (!(await this.codes.consume(manager, checked))) throw loginFailed();
      return this.loginRequest(user, client);
    });
  }

  /** The one user with this phone or email; undefined when `login` is neither, or none or several have it. */
  private async findByAddress(login: string): Promise<LoginUser | undefined> {
    const phone = mainlandPhone(login);
    const email = phone ? undefined : normalEmail(login);
    if (!phone && !email) return undefined;
    const builder = this.transactions.reader.getRepository(User).createQueryBuilder('user').addSelect('user.passwordHash');
    // Phones are stored as their 11 digits; emails set through /user may have capitals.
    if (phone) builder.where('user.phone IN (:...phones)', { phones: [phone, `+86${phone}`] });
    else builder.where('LOWER(user.email) = :email', { email });
    const found = await builder.take(2).getMany();
    return found.length === 1 ? (found[0] as LoginUser) : undefined;
  }

  private async findByName(login: string): Promise<LoginUser | undefined> {
    const user = await this.transactions.reader
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.usernameKey = :key', { key: usernameKey(login.trim()) })
      .getOne();
    return (user as LoginUser | null) ?? undefined;
  }

  /** Name, phone or email already another user's: a 422 before a code is spent on it (the unique keys close the race). */
  private async assertFree(name: string, field: 'phone' | 'email', destination: string): Promise<void> {
    const users = this.transactions.reader.getRepository(User);
    if (await users.existsBy({ usernameKey: usernameKey(name) })) throw invalidInput('name', 'taken');
    if (await users.existsBy({ [field]: destination })) throw invalidInput(field, 'taken');
  }

  private loginRequest(user: Pick<User, 'id' | 'username'>, client: ClientInfo): LoginRequest {
    return { type: 'mobile', user, client, lifetimeSeconds: this.config.refreshTtlSeconds };
  }
}

/** The channel and normalised address of `{phone}` or `{email}`: exactly one of them. */
function addressOf(input: { phone?: string; email?: string }): [VerifyChannel, string] {
  if (input.phone !== undefined && input.email !== undefined) throw invalidInput('email', 'onlyOneOf', 'phone');
  if (input.phone !== undefined) return ['sms', mainlandPhone(input.phone)!];
  if (input.email !== undefined) return ['mail', normalEmail(input.email)!];
  throw invalidInput('phone', 'requiredOneOf', 'email');
}

/** The rest of the service's password rules (POST /user, PUT /user/{uid}), with this family's field errors. */
function assertAcceptablePassword(password: string): void {
  if (password.length < 8 || password.length > 64) throw invalidInput('password', 'isLength', 8, 64);
  if (!fitsBcrypt(password)) throw invalidInput('password', 'passwordTooLong');
  if (isCommonPassword(password)) throw invalidInput('password', 'commonPassword');
}
