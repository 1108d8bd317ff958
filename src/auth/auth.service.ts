import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Reader, Transactions } from '../database/transactions';
import { scopesOfUser } from '../role/user-scopes';
import { assertCanGrant, heldScopes } from '../security/grants';
import { PasswordService } from '../security/password.service';
import type { Principal } from '../security/principal';
import { constantTimeEquals, hashToken, looksLikeRefreshToken, newRefreshToken } from '../security/refresh-tokens';
import { RevocationService, RevokedSession } from '../security/revocation.service';
import { PasswordConfig, passwordConfig } from '../security/security.config';
import { TokenService } from '../security/token.service';
import { User, USER_STATUS_NORMAL, usernameKey } from '../user/entities/user.entity';
import { SessionConfig, sessionConfig } from './auth.config';
import { RefreshToken } from '../session/entities/refresh-token.entity';
import { LoginThrottle } from './login-throttle';
import { RevokeReason, Session } from '../session/entities/session.entity';

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface IssuedTokens {
  userId: number;
  accessToken: string;
  refreshToken: string;
  refreshTtlSeconds: number;
}

/** A minted or personal token lives as long as its session row; a login's access tokens only ACCESS_TOKEN_TTL. */
function revokedSession(session: Pick<Session, 'id' | 'type' | 'expiresAt'>): RevokedSession {
  return session.type === 'minted' || session.type === 'personal' ? { id: session.id, tokensExpireAt: session.expiresAt } : { id: session.id };
}

const loginFailed = () => new AppException('error.loginFailed');
const refreshInvalid = () => new AppException('error.refreshInvalid');

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
    @Inject(sessionConfig.token) private readonly config: SessionConfig,
    @Inject(passwordConfig.token) private readonly hashing: PasswordConfig,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Unknown user, wrong password and disabled user get the same answer, in about the same time. */
  async login(username: string, password: string, client: ClientInfo): Promise<IssuedTokens> {
    const key = usernameKey(username);
    await this.throttle.begin(key, client.ip);
    let user: User;
    try {
      user = await this.checkPassword(key, password);
    } catch (error) {
      if (error instanceof AppException && error.messageKey === 'error.loginFailed') this.throttle.failed(key, client.ip);
      else this.throttle.abandoned(key, client.ip);
      throw error;
    }
    this.throttle.succeeded(key, client.ip);

    const rehash = this.passwords.needsRehash(user.passwordHash) ? await this.passwords.hash(password) : undefined;
    const now = new Date();
    const refreshToken = newRefreshToken();
    const session = await this.transactions.run(async (manager) => {
      // The user row first: inserting the session takes a shared lock on it through the foreign key,
      // and two logins that both then asked to upgrade it would deadlock on MySQL.
      await manager.getRepository(User).update({ id: user.id }, { loginIp: client.ip, loginDate: now, ...(rehash ? { passwordHash: rehash } : {}) });
      const created = await manager.getRepository(Session).save(
        manager.getRepository(Session).create({
          id: randomUUID(),
          userId: user.id,
          type: 'password',
          ip: client.ip,
          userAgent: client.userAgent,
          rotation: 0,
          createdAt: now,
          lastUsedAt: now,
          expiresAt: new Date(now.getTime() + this.config.refreshTtlSeconds * 1000),
          revokedAt: null,
          revokeReason: null,
        }),
      );
      await manager.getRepository(RefreshToken).insert({ tokenHash: hashToken(refreshToken), sessionId: created.id, generation: 0, createdAt: now });
      return created;
    });
    if (rehash) this.logger.log(`re-hashed the password of user ${user.id} with ${this.hashing.bcryptRounds} rounds`);

    const scopes = await this.scopesOf(user.id);
    return {
      userId: user.id,
      // Dated before the session was written: a user-wide revocation that raced with it still ends this token.
      accessToken: this.tokens.signAccessToken({ userId: user.id, username: user.username, sessionId: session.id, scopes }, now.getTime()),
      refreshToken,
      refreshTtlSeconds: this.config.refreshTtlSeconds,
    };
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

  /**
   * Rotates the refresh token of a session. Of several concurrent refreshes
   * with one token exactly one wins; a token that was rotated away earlier
   * (beyond REFRESH_REUSE_GRACE) is reuse of a stolen copy, and ends the whole session.
   */
  async refresh(cookieToken: string | undefined, headerToken: string | undefined, client: ClientInfo): Promise<IssuedTokens> {
    if (!cookieToken || !headerToken) throw new AppException('error.refreshMissing');
    if (!constantTimeEquals(cookieToken, headerToken)) throw new AppException('error.refreshMismatch');
    if (!looksLikeRefreshToken(headerToken)) throw refreshInvalid();

    const presented = await this.transactions.reader.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(headerToken) });
    if (!presented) throw refreshInvalid();
    const session = await this.transactions.reader.getRepository(Session).findOneBy({ id: presented.sessionId });
    const now = new Date();
    if (!session || session.revokedAt || session.expiresAt <= now) throw refreshInvalid();

    if (session.userAgent !== client.userAgent || (this.config.bindIp && session.ip !== client.ip)) {
      await this.revokeSession(session.id, 'client_mismatch');
      throw new AppException('error.sessionBinding');
    }
    if (presented.rotatedAt) {
      // The same client sending one token twice within moments is a race it lost (parallel tabs or
      // retries), not theft: refuse it without ending the session the winner was just given.
      if (now.getTime() - presented.rotatedAt.getTime() <= this.config.refreshReuseGraceSeconds * 1000) {
        throw new AppException('error.refreshRaced');
      }
      await this.revokeSession(session.id, 'refresh_reuse');
      throw new AppException('error.refreshReused');
    }
    const user = session.userId === null ? null : await this.transactions.reader.getRepository(User).findOneBy({ id: session.userId });
    if (!user || user.status !== USER_STATUS_NORMAL) {
      await this.revokeSession(session.id, 'disabled');
      throw refreshInvalid();
    }

    const nextToken = newRefreshToken();
    await this.transactions.run(async (manager) => {
      const rotated = await manager
        .createQueryBuilder()
        .update(RefreshToken)
        .set({ rotatedAt: now })
        .where({ tokenHash: presented.tokenHash, rotatedAt: IsNull() })
        .execute();
      // Another request rotated this token between our read and this update: it won, this one loses quietly.
      if (rotated.affected !== 1) throw new AppException('error.refreshRaced');
      const advanced = await manager
        .createQueryBuilder()
        .update(Session)
        .set({ rotation: () => 'rotation + 1', lastUsedAt: now })
        .where({ id: session.id, revokedAt: IsNull() })
        .execute();
      if (advanced.affected !== 1) throw refreshInvalid();
      await manager
        .getRepository(RefreshToken)
        .insert({ tokenHash: hashToken(nextToken), sessionId: session.id, generation: presented.generation + 1, createdAt: now });
    });

    const scopes = await this.scopesOf(user.id);
    return {
      userId: user.id,
      // Dated before the session was written: a user-wide revocation that raced with it still ends this token.
      accessToken: this.tokens.signAccessToken({ userId: user.id, username: user.username, sessionId: session.id, scopes }, now.getTime()),
      refreshToken: nextToken,
      refreshTtlSeconds: Math.max(0, Math.floor((session.expiresAt.getTime() - now.getTime()) / 1000)),
    };
  }

  /** The session a refresh token belongs to, if the token is one we issued and still current. */
  async sessionOfRefreshToken(token: string | undefined): Promise<string | undefined> {
    if (!token || !looksLikeRefreshToken(token)) return undefined;
    const row = await this.transactions.reader.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(token) });
    return row && !row.rotatedAt ? row.sessionId : undefined;
  }

  /**
   * Ends a session: its refresh token stops working, and its access tokens on the next request.
   * `authorize` runs first in the same transaction, so what it checked still holds when the session ends.
   */
  async revokeSession(sessionId: string, reason: RevokeReason, authorize?: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      await authorize?.(manager);
      const now = new Date();
      const result = await manager
        .createQueryBuilder()
        .update(Session)
        .set({ revokedAt: now, revokeReason: reason })
        .where({ id: sessionId, revokedAt: IsNull() })
        .execute();
      if (result.affected !== 1) return false;
      const session = await manager.getRepository(Session).findOneOrFail({ select: { id: true, type: true, expiresAt: true }, where: { id: sessionId } });
      await this.revocations.revokeSessions(manager, [revokedSession(session)], now);
      return true;
    });
  }

  /**
   * Ends every session of a user and every access token it holds, within the
   * caller's transaction (disabling, deleting, a new password).
   */
  async revokeUserSessions(manager: EntityManager, userId: number, reason: RevokeReason, keepSessionId?: string): Promise<void> {
    const now = new Date();
    const active = manager
      .getRepository(Session)
      .createQueryBuilder('s')
      .select(['s.id', 's.type', 's.expiresAt'])
      .where('s.user_id = :userId AND s.revoked_at IS NULL', { userId });
    if (keepSessionId) active.andWhere('s.id <> :keep', { keep: keepSessionId });
    const sessions = await active.getMany();
    if (sessions.length > 0) {
      await manager
        .createQueryBuilder()
        .update(Session)
        .set({ revokedAt: now, revokeReason: reason })
        .where({ id: In(sessions.map((session) => session.id)), revokedAt: IsNull() })
        .execute();
    }
    // Keeping the caller's own session means revoking the others one by one; otherwise every token of the user goes.
    const revoked = sessions.map(revokedSession);
    if (keepSessionId) {
      await this.revocations.revokeSessions(manager, revoked, now);
      return;
    }
    const lastExpiry = revoked.reduce((latest, session) => Math.max(latest, session.tokensExpireAt?.getTime() ?? 0), 0);
    // Timed after the sessions' rows are locked: a refresh that committed before has an earlier issue time.
    await this.revocations.revokeUser(manager, userId, new Date(), lastExpiry > 0 ? new Date(lastExpiry) : undefined);
  }

  /**
   * Managing a user who holds a scope the caller lacks (kicking it out, ending
   * one of its sessions, disabling, deleting, resetting it) would be a way to that scope.
   */
  async assertCanManageUser(caller: Principal, userId: number, reader: Reader): Promise<void> {
    assertCanGrant(await heldScopes(reader, caller), await scopesOfUser(reader, userId));
  }

  /** The permission codes of the user's enabled roles: what its tokens' `scope` claim carries. */
  scopesOf(userId: number, reader: Reader = this.transactions.reader): Promise<string[]> {
    return scopesOfUser(reader, userId);
  }
}
