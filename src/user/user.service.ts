import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { AppException } from '../common/app.exception';
import { containsPattern, LIKE_ESCAPE, Page, pageWindow } from '../common/paging';
import type { ErrorKey } from '../common/messages';
import { invalidInput } from '../common/validation';
import { formatTime } from '../common/time';
import { isDuplicateKey } from '../database/db-errors';
import { ReadCache, ReadCaches } from '../database/read-cache';
import { Reader, Transactions } from '../database/transactions';
import { deptPath } from '../dept/dept.service';
import { Dept } from '../dept/entities/dept.entity';
import { ADMIN_ROLE_KEY, DATA_SCOPE, Role, ROLE_STATUS_NORMAL } from '../role/entities/role.entity';
import { UserScopes } from '../role/user-scopes';
import { assertCanChangeRoles, assertCanManageUser, heldScopes } from '../security/grants';
import { fitsBcrypt, PasswordService } from '../security/password.service';
import { actorIdOf, Principal, userIdOf } from '../security/principal';
import { SessionIssuer } from '../session/session-issuer.service';
import { isCommonPassword } from './common-passwords';
import { RegisteredDto, UpdateUserDto, USERNAME, UserDto, UserInfoDto, UserListQueryDto } from './dto/user.dto';
import { User, USER_STATUS_DISABLED, USER_STATUS_NORMAL, usernameKey } from './entities/user.entity';
import type { BuiltInScope } from '../security/scopes';
import { UserConfig, userConfig } from './user.config';

export const USER_MAN: BuiltInScope = 'userMan';

/** The document's user model: its string fields are "" when empty, never null. */
export function toUserDto(user: User): UserDto {
  return {
    userId: user.id,
    username: user.username,
    nickname: user.nickname ?? '',
    avatar: user.avatar ?? '',
    phone: user.phone ?? '',
    email: user.email ?? '',
    sex: user.sex ?? '',
    status: user.status,
    loginIp: user.loginIp ?? '',
    loginDate: formatTime(user.loginDate) ?? '',
    createBy: user.createBy,
    createTime: formatTime(user.createTime) ?? '',
    updateBy: user.updateBy,
    updateTime: formatTime(user.updateTime) ?? '',
    remark: user.remark ?? '',
    employeeNo: user.employeeNo ?? '',
    deptId: user.deptId,
  };
}

const userNotFound = () => new AppException('error.userNotFound');

/** A user by id, or by username (compared as logins compare it). */
export type UserRef = { id: number } | { username: string };

/** What an operator's change did to a user. */
export interface OperatorResult {
  id: number;
  username: string;
  /** Sessions that were open and have ended. */
  sessionsEnded: number;
}

/** Fields a user may change on itself without userMan. */
const SELF_SERVICE_FIELDS = new Set(['nickname', 'avatar', 'phone', 'email', 'sex', 'remark', 'password', 'oldPassword']);
const IGNORED_FIELDS = new Set(['userId', 'createBy', 'createTime', 'updateBy', 'updateTime', 'loginIp', 'loginDate']);
/** Unique index, its column (SQLite names the column), and what the client is told. */
const UNIQUE_KEYS: Array<[string, string, ErrorKey]> = [
  ['uq_user_username_key', 'username_key', 'error.usernameTaken'],
  ['uq_user_phone', 'phone', 'error.phoneTaken'],
  ['uq_user_email', 'email', 'error.emailTaken'],
  ['uq_user_employee_no', 'employee_no', 'error.employeeNoTaken'],
];

@Injectable()
export class UserService {
  /** GET /user/{uid} answers by user id. */
  private readonly views: ReadCache<number, UserDto>;

  constructor(
    private readonly transactions: Transactions,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionIssuer,
    private readonly userScopes: UserScopes,
    @Inject(userConfig.token) private readonly config: UserConfig,
    caches: ReadCaches,
  ) {
    this.views = caches.forTable('sys_user');
  }

  async register(username: string, password: string): Promise<RegisteredDto> {
    if (!this.config.registrationEnabled) throw new AppException('error.registrationClosed');
    const name = normalizeUsername(username);
    this.assertAcceptablePassword(password, 'password');
    const passwordHash = await this.passwords.hash(password);
    const id = await this.write(async (manager) => {
      const defaultRole = await manager.getRepository(Role).findOneBy({ roleKey: this.config.defaultRoleKey });
      const users = manager.getRepository(User);
      const user = users.create({
        username: name,
        usernameKey: usernameKey(name),
        passwordHash,
        status: USER_STATUS_NORMAL,
        roles: defaultRole ? [defaultRole] : [],
      });
      return (await users.save(user)).id;
    });
    return { id, username: name };
  }

  async get(caller: Principal, userId: number): Promise<UserDto> {
    if (userIdOf(caller) !== userId && !caller.scope.includes(USER_MAN)) throw new AppException('error.forbidden');
    return this.views.get(userId, async () => toUserDto(await this.find(this.transactions.reader, userId)));
  }

  async list(query: UserListQueryDto): Promise<Page<UserDto>> {
    const builder = this.transactions.reader.getRepository(User).createQueryBuilder('user');
    if (query.username) builder.andWhere(`user.username LIKE :username ${LIKE_ESCAPE}`, { username: containsPattern(query.username) });
    if (query.phone) builder.andWhere(`user.phone LIKE :phone ${LIKE_ESCAPE}`, { phone: containsPattern(query.phone) });
    if (query.status) builder.andWhere('user.status = :status', { status: query.status });
    if (query.deptId) builder.andWhere('user.deptId = :deptId', { deptId: query.deptId });
    const { skip, take } = pageWindow(query);
    const [users, total] = await builder.orderBy('user.id', 'ASC').skip(skip).take(take).getManyAndCount();
    return { total, list: users.map(toUserDto) };
  }

  /**
   * Changes the given fields. On itself a caller changes only its profile and,
   * with the current password, its password; everything else needs userMan and
   * a target that holds no scope the caller lacks.
   */
  async update(caller: Principal, userId: number, input: UpdateUserDto): Promise<UserDto> {
    const self = userIdOf(caller) === userId;
    const manager = caller.scope.includes(USER_MAN);
    if (!self && !manager) throw new AppException('error.forbidden');
    const newHash = input.password !== undefined ? await this.newPasswordHash(input.password) : undefined;
    // bcrypt runs before the transaction: on SQLite every write waits while one is open.
    const checkedHash = newHash && self ? await this.checkOldPassword(userId, input.oldPassword) : undefined;

    await this.write(async (em) => {
      const user = await this.find(em, userId, true);
      const changes = this.changedFields(user, input);
      if (self && !manager) {
        const refused = changes.filter((field) => !SELF_SERVICE_FIELDS.has(field));
        if (refused.length > 0) throw new AppException('error.fieldNeedsUserMan', { fields: refused });
      }
      if (!self) await assertCanManageUser(em, caller, userId);
      // The password checked must still be the current one: another change may have committed meanwhile.
      if (checkedHash !== undefined && user.passwordHash !== checkedHash) throw new AppException('error.oldPasswordWrong');
      if (changes.includes('status') && input.status === USER_STATUS_DISABLED) {
        if (self) throw new AppException('error.cannotDisableSelf');
        await this.assertNotLastAdmin(em, userId);
      }
      if (changes.includes('deptId') && input.deptId !== null && input.deptId !== undefined) {
        if (!(await em.getRepository(Dept).existsBy({ id: input.deptId }))) throw new AppException('error.unknownDept');
      }

      if (changes.includes('username')) {
        user.username = normalizeUsername(input.username!);
        user.usernameKey = usernameKey(user.username);
      }
      for (const field of ['nickname', 'avatar', 'phone', 'email', 'sex', 'status', 'deptId', 'employeeNo', 'remark'] as const) {
        if (changes.includes(field)) (user as unknown as Record<string, unknown>)[field] = input[field] === '' ? null : input[field];
      }
      if (newHash) user.passwordHash = newHash;
      user.updateBy = actorIdOf(caller);
      await em.getRepository(User).save(user);

      if (changes.includes('status') && user.status === USER_STATUS_DISABLED) {
        await this.sessions.revokeAllOf(em, userId, 'disabled');
      } else if (newHash) {
        // A new password ends the user's other sessions; the caller's own one stays when it changed its own.
        await this.sessions.revokeAllOf(em, userId, 'password_changed', self ? caller.sid : undefined);
      }
    });
    return toUserDto(await this.find(this.transactions.reader, userId));
  }

  /** Ends every session and access token of the user. */
  async kickoutAll(caller: Principal, userId: number): Promise<void> {
    await this.transactions.run(async (em) => {
      await this.find(em, userId);
      await assertCanManageUser(em, caller, userId);
      await this.sessions.revokeAllOf(em, userId, 'kickout');
    });
  }

  /** Disabling ends every session at once; enabling brings none back. */
  async setEnabled(caller: Principal, userId: number, enabled: boolean): Promise<UserDto> {
    if (!enabled && userIdOf(caller) === userId) throw new AppException('error.cannotDisableSelf');
    await this.transactions.run(async (em) => {
      const user = await this.find(em, userId);
      await assertCanManageUser(em, caller, userId);
      if (!enabled) await this.assertNotLastAdmin(em, userId);
      await em.getRepository(User).update({ id: userId }, { status: enabled ? '0' : USER_STATUS_DISABLED, updateBy: actorIdOf(caller) });
      if (!enabled && user.status !== USER_STATUS_DISABLED) await this.sessions.revokeAllOf(em, userId, 'disabled');
    });
    return toUserDto(await this.find(this.transactions.reader, userId));
  }

  async remove(caller: Principal, userId: number): Promise<void> {
    if (actorIdOf(caller) === userId) throw new AppException('error.cannotDeleteSelf');
    await this.transactions.run(async (em) => {
      await this.find(em, userId);
      await assertCanManageUser(em, caller, userId);
      await this.assertNotLastAdmin(em, userId);
      await this.sessions.revokeAllOf(em, userId, 'deleted');
      await em.getRepository(User).delete({ id: userId });
    });
  }

  /**
   * The user's roles become exactly these. Every role added or removed must be
   * within the caller's scopes, disabled ones too: removing is granting too.
   */
  async bindRoles(caller: Principal, userId: number, roleIds: number[]): Promise<void> {
    await this.transactions.run(async (em) => {
      const user = await em.getRepository(User).findOne({ where: { id: userId }, relations: { roles: { permissions: true } } });
      if (!user) throw userNotFound();
      const unique = [...new Set(roleIds)];
      const roles = unique.length ? await em.getRepository(Role).find({ where: { id: In(unique) }, relations: { permissions: true } }) : [];
      if (roles.length !== unique.length) {
        const known = new Set(roles.map((r) => r.id));
        throw new AppException('error.unknownRoles', { roleIds: unique.filter((id) => !known.has(id)) });
      }
      await assertCanManageUser(em, caller, userId);
      const current = new Set(user.roles.map((r) => r.id));
      const wanted = new Set(unique);
      assertCanChangeRoles(await heldScopes(em, caller), ...roles.filter((r) => !current.has(r.id)), ...user.roles.filter((r) => !wanted.has(r.id)));
      const losesAdmin = user.roles.some((r) => r.roleKey === ADMIN_ROLE_KEY) && !roles.some((r) => r.roleKey === ADMIN_ROLE_KEY);
      if (losesAdmin) await this.assertNotLastAdmin(em, userId);
      user.roles = roles;
      user.updateBy = actorIdOf(caller);
      await em.getRepository(User).save(user);
    });
  }

  /*
   * The operator's command line (src/cli) acts with the database's own authority: there is no caller whose
   * scopes could be checked. Otherwise these do what the API's routes do, with the same rules and effects.
   */

  /** A new user holding the admin role, under the password rules of registration. */
  async createAdministrator(username: string, password: string): Promise<RegisteredDto> {
    const name = normalizeUsername(username);
    this.assertAcceptablePassword(password, 'password');
    const passwordHash = await this.passwords.hash(password);
    const id = await this.write(async (manager) => {
      const adminRole = await manager.getRepository(Role).findOneByOrFail({ roleKey: ADMIN_ROLE_KEY });
      const users = manager.getRepository(User);
      const user = users.create({ username: name, usernameKey: usernameKey(name), passwordHash, status: USER_STATUS_NORMAL, roles: [adminRole] });
      return (await users.save(user)).id;
    });
    return { id, username: name };
  }

  /** A new password, as PUT /user/{uid} sets one for someone else, and the user enabled: every session of it ends. */
  async resetPassword(username: string, password: string): Promise<OperatorResult> {
    this.assertAcceptablePassword(password, 'password');
    // bcrypt runs before the transaction: on SQLite every write waits while one is open.
    const passwordHash = await this.passwords.hash(password);
    return this.transactions.run(async (em) => {
      const user = await this.findBy(em, { username });
      await em.getRepository(User).update({ id: user.id }, { passwordHash, status: USER_STATUS_NORMAL, updateBy: null });
      const sessionsEnded = await this.sessions.revokeAllOf(em, user.id, 'password_changed');
      return { id: user.id, username: user.username, sessionsEnded };
    });
  }

  /** Every session and access token of the user ends, as POST /user/{uid}/kickout ends them. */
  async endAllSessions(ref: UserRef): Promise<OperatorResult> {
    return this.transactions.run(async (em) => {
      const user = await this.findBy(em, ref);
      const sessionsEnded = await this.sessions.revokeAllOf(em, user.id, 'kickout');
      return { id: user.id, username: user.username, sessionsEnded };
    });
  }

  private async findBy(em: EntityManager, ref: UserRef): Promise<User> {
    const where = 'id' in ref ? { id: ref.id } : { usernameKey: usernameKey(ref.username) };
    const user = await em.getRepository(User).findOneBy(where);
    if (!user) throw userNotFound();
    return user;
  }

  /** The document's `/user/info`: who the caller (or, for userMan, another user) is and what it may do. */
  async info(caller: Principal, username?: string): Promise<{ user: UserInfoDto }> {
    const users = this.transactions.reader.getRepository(User);
    let user: User | null;
    const own = userIdOf(caller);
    if (username !== undefined && (own === undefined || usernameKey(username) !== usernameKey(caller.username ?? ''))) {
      if (!caller.scope.includes(USER_MAN)) throw new AppException('error.forbidden');
      user = await users.findOne({ where: { usernameKey: usernameKey(username) }, relations: { roles: { depts: true } } });
    } else {
      if (own === undefined) throw new AppException('error.notAUser');
      user = await users.findOne({ where: { id: own }, relations: { roles: { depts: true } } });
    }
    if (!user) throw userNotFound();

    const enabled = user.roles.filter((r) => r.status === ROLE_STATUS_NORMAL);
    const dept = user.deptId ? await this.transactions.reader.getRepository(Dept).findOneBy({ id: user.deptId }) : null;
    const dataScope = enabled.length ? enabled.map((r) => r.dataScope).sort()[0] : DATA_SCOPE.self;
    return {
      user: {
        id: user.id,
        userId: user.id,
        username: user.username,
        nickname: user.nickname ?? '',
        avatar: user.avatar ?? '',
        email: user.email ?? '',
        deptId: user.deptId,
        deptName: dept?.deptName ?? '',
        deptPath: dept ? deptPath(dept) : '',
        roles: enabled.map((r) => r.roleName),
        permissions: await this.userScopes.of(user.id),
        dataScope,
        deptIds: await this.dataScopeDepts(enabled, dept),
      },
    };
  }

  /** The departments the user's roles let it see: the union over its enabled roles. */
  private async dataScopeDepts(roles: Role[], own: Dept | null): Promise<number[]> {
    const ids = new Set<number>();
    const all = () => this.transactions.reader.getRepository(Dept).find({ select: { id: true, ancestors: true } });
    for (const role of roles) {
      switch (role.dataScope) {
        case DATA_SCOPE.all:
          for (const d of await all()) ids.add(d.id);
          break;
        case DATA_SCOPE.custom:
          for (const d of role.depts) ids.add(d.id);
          break;
        case DATA_SCOPE.ownDept:
          if (own) ids.add(own.id);
          break;
        case DATA_SCOPE.ownDeptAndBelow:
          if (own) {
            const path = deptPath(own);
            for (const d of await all()) if (d.id === own.id || d.ancestors === path || d.ancestors.startsWith(`${path},`)) ids.add(d.id);
          }
          break;
        default:
          break;
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  private changedFields(user: User, input: UpdateUserDto): string[] {
    return Object.entries(input)
      .filter(([field, value]) => value !== undefined && !IGNORED_FIELDS.has(field))
      .filter(([field, value]) => {
        if (field === 'password' || field === 'oldPassword') return field === 'password';
        if (field === 'username') return usernameKey(String(value)) !== user.usernameKey || normalizeUsername(String(value)) !== user.username;
        const current = (user as unknown as Record<string, unknown>)[field];
        return (value === '' ? null : value) !== current;
      })
      .map(([field]) => field);
  }

  /** The admin role must keep a holder. Serialised on the admin role row so two removals cannot both pass. */
  private async assertNotLastAdmin(em: EntityManager, userId: number): Promise<void> {
    const admin = await em
      .getRepository(Role)
      .createQueryBuilder('role')
      .where('role.roleKey = :key', { key: ADMIN_ROLE_KEY })
      .setLock(this.transactions.locksRows ? 'pessimistic_write' : undefined!)
      .getOne();
    if (!admin) return;
    const holders = await em
      .createQueryBuilder()
      .select('ur.user_id', 'userId')
      .from('sys_user_role', 'ur')
      .where('ur.role_id = :roleId', { roleId: admin.id })
      .getRawMany<{ userId: number }>();
    const ids = holders.map((h) => Number(h.userId));
    if (ids.includes(userId) && ids.length <= 1) throw new AppException('error.lastAdmin');
  }

  private async find(em: Reader, userId: number, withHash = false): Promise<User> {
    const builder = em.getRepository(User).createQueryBuilder('user').where('user.id = :userId', { userId });
    if (withHash) builder.addSelect('user.passwordHash');
    const user = await builder.getOne();
    if (!user) throw userNotFound();
    return user;
  }

  /** The stored hash that the caller's current password matches; 400 when it does not. */
  private async checkOldPassword(userId: number, oldPassword: string | undefined): Promise<string> {
    const { passwordHash } = await this.find(this.transactions.reader, userId, true);
    if (oldPassword === undefined || !(await this.passwords.verify(oldPassword, passwordHash))) throw new AppException('error.oldPasswordWrong');
    return passwordHash;
  }

  private async newPasswordHash(password: string): Promise<string> {
    this.assertAcceptablePassword(password, 'password');
    return this.passwords.hash(password);
  }

  private assertAcceptablePassword(password: string, field: string): void {
    if (password.length < 8 || password.length > 64) throw invalidInput(field, 'isLength', 8, 64);
    if (!fitsBcrypt(password)) throw new AppException('error.passwordTooLong');
    if (isCommonPassword(password)) throw new AppException('error.commonPassword');
  }

  /** Unique keys turn a race between two writers into a 409 for the second. */
  private async write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.transactions.run(work);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const text = String((error as { driverError?: { message?: string } }).driverError?.message ?? (error as Error).message);
      const key = UNIQUE_KEYS.find(([index, column]) => text.includes(`'${index}'`) || text.includes(`.${index}'`) || text.endsWith(`sys_user.${column}`));
      throw new AppException(key?.[2] ?? 'error.conflict');
    }
  }
}

/** NFKC, then the allowed alphabet: fullwidth look-alikes become their ASCII letters and then collide. */
export function normalizeUsername(username: string): string {
  const normalized = username.normalize('NFKC').trim();
  if (!USERNAME.test(normalized)) throw invalidInput('username', 'matches', USERNAME);
  return normalized;
}
