import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppException } from '../common/app.exception';
import { isDuplicateKey } from '../database/db-errors';
import { Reader, Transactions } from '../database/transactions';
import { Role } from '../role/entities/role.entity';
import type { ClientInfo } from '../session/client-info';
import { IssuedTokens, SessionIssuer } from '../session/session-issuer.service';
import { User, USER_STATUS_NORMAL, usernameKey } from '../user/entities/user.entity';
import { UserConfig, userConfig } from '../user/user.config';
import { UserWechat } from './entities/user-wechat.entity';
import { Jscode2SessionClient, WechatIdentity } from './jscode2session';

/** A mini-program login's outcome: the session's tokens, and whether its user was made for it. */
export interface WechatLogin {
  tokens: IssuedTokens;
  userId: number;
  newUser: boolean;
}

interface BoundUser {
  user: User;
  newUser: boolean;
}

/** Losing a race (another first login bound the openid first, a generated name taken) is retried this often. */
const ATTEMPTS = 3;

/** A name for a user made by its first WeChat login: unique, in the username alphabet, changeable later. */
function generatedUsername(): string {
  return `wx_${randomBytes(10).toString('hex')}`;
}

/**
 * Logging in with a mini-program's wx.login code: WeChat says who it is, the binding table says which of our
 * users that is (made on the first login), and the session opens as every other login's does.
 */
@Injectable()
export class WechatLoginService {
  constructor(
    private readonly transactions: Transactions,
    private readonly wechat: Jscode2SessionClient,
    private readonly sessions: SessionIssuer,
    @Inject(userConfig.token) private readonly users: UserConfig,
  ) {}

  async login(code: string, client: ClientInfo): Promise<WechatLogin> {
    const identity = await this.wechat.exchange(code);
    for (let attempt = 1; ; attempt++) {
      // A returning user whose binding needs no change costs no write before its session.
      const bound = await this.bindingOf(this.transactions.reader, identity);
      if (bound && !needsUnionid(bound, identity)) {
        const user = assertEnabled(await this.userById(this.transactions.reader, bound.userId));
        return { tokens: await this.sessions.open({ type: 'wechat', user, client }), userId: user.id, newUser: false };
      }
      try {
        return await this.bindAndOpen(identity, client);
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The user bound to this WeChat user, bound or made now, and its session, in one transaction: no user or
   * binding is left without the session. The openid of this app decides first; then the unionid (another app
   * of the same open-platform account, or this one before it had a unionid). The unique (appid, openid) key
   * settles two first logins at once: the loser rolls back, user and all, and reads the winner's binding.
   */
  private async bindAndOpen(identity: WechatIdentity, client: ClientInfo): Promise<WechatLogin> {
    let bound: BoundUser | undefined;
    const tokens = await this.sessions.openAfter(async (manager) => {
      bound = await this.bind(manager, identity);
      return { type: 'wechat', user: assertEnabled(bound.user), client };
    });
    return { tokens, userId: bound!.user.id, newUser: bound!.newUser };
  }

  /** In one transaction: the unionid learnt, a binding to the unionid's user, or a new user with its binding. */
  private async bind(manager: EntityManager, identity: WechatIdentity): Promise<BoundUser> {
    const bindings = manager.getRepository(UserWechat);
    const bound = await this.bindingOf(manager, identity);
    if (bound) {
      if (needsUnionid(bound, identity)) await bindings.update({ id: bound.id }, { unionid: identity.unionid });
      return { user: await this.userById(manager, bound.userId), newUser: false };
    }
    const sameUnion = identity.unionid ? await bindings.findOne({ where: { unionid: identity.unionid }, order: { id: 'ASC' } }) : null;
    if (sameUnion) {
      await this.insertBinding(manager, identity, sameUnion.userId);
      return { user: await this.userById(manager, sameUnion.userId), newUser: false };
    }
    if (!this.users.registrationEnabled) throw new AppException('error.registrationClosed');
    const defaultRole = await manager.getRepository(Role).findOneBy({ roleKey: this.users.defaultRoleKey });
    const username = generatedUsername();
    const users = manager.getRepository(User);
    const user = await users.save(
      users.create({
        username,
        usernameKey: usernameKey(username),
        // No password: a password login with this name fails like any wrong password, until one is set.
        passwordHash: '',
        status: USER_STATUS_NORMAL,
        roles: defaultRole ? [defaultRole] : [],
      }),
    );
    await this.insertBinding(manager, identity, user.id);
    return { user, newUser: true };
  }

  private async bindingOf(reader: Reader, identity: WechatIdentity): Promise<UserWechat | null> {
    return reader.getRepository(UserWechat).findOneBy({ appid: identity.appid, openid: identity.openid });
  }

  private async insertBinding(manager: EntityManager, identity: WechatIdentity, userId: number): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(UserWechat)
      .values({ appid: identity.appid, openid: identity.openid, unionid: identity.unionid ?? null, userId })
      .updateEntity(false)
      .execute();
  }

  private async userById(reader: Reader, id: number): Promise<User> {
    return reader.getRepository(User).findOneByOrFail({ id });
  }
}

function assertEnabled(user: User): User {
  if (user.status !== USER_STATUS_NORMAL) throw new AppException('error.wechatUserDisabled');
  return user;
}

/** WeChat now names a unionid the binding lacks (or names another one): it is recorded, for the apps to come. */
function needsUnionid(bound: UserWechat, identity: WechatIdentity): boolean {
  return identity.unionid !== undefined && bound.unionid !== identity.unionid;
}
