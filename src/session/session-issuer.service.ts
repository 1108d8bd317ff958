import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppException } from '../common/app.exception';
import { afterCommit, Transactions } from '../database/transactions';
import { Metrics, RefreshResult } from '../metrics/metrics';
import { UserScopes } from '../role/user-scopes';
import { assertCanGrant, heldScopes } from '../security/grants';
import { actorIdOf, Principal } from '../security/principal';
import { constantTimeEquals, hashToken, looksLikeRefreshToken, newRefreshToken } from '../security/refresh-tokens';
import { RevocationService, RevokedSession } from '../security/revocation.service';
import { TokenService } from '../security/token.service';
import { User, USER_STATUS_NORMAL } from '../user/entities/user.entity';
import { isDuplicateKey, driverErrorCode } from '../database/db-errors';
import { execute, sqlDateTime } from '../database/sql';
import type { ClientInfo } from './client-info';
import { SessionConfig, sessionConfig } from './session.config';
import { RefreshToken } from './entities/refresh-token.entity';
import { CurrentRefreshToken, findCurrentRefresh, findPresentedRefresh, insertSuccessor, replaceUndelivered } from './refresh-rows';
import { UnsettledRotations } from './unsettled-rotations';
import { isMintedType, LoginSessionType, MintedSessionType, RevokeReason, Session } from './entities/session.entity';

/** A user who has shown who it is, in its family's way: a password, a partner's ticket, a verification code. */
export interface LoginRequest {
  type: LoginSessionType;
  user: Pick<User, 'id' | 'username'>;
  client: ClientInfo;
  /** How long the session lasts, its refresh tokens rotating until then; REFRESH_TOKEN_TTL when absent. */
  lifetimeSeconds?: number;
  /** The password family's upgraded hash of the password just checked, written with the login's address and time. */
  passwordRehash?: string;
}

/** A token minted for any subject (minted) or for the minter itself (personal): one token for the session's whole life. */
export interface MintRequest {
  type: MintedSessionType;
  /** It may put into the token only scopes it holds, checked in the transaction that records the token. */
  minter: Principal;
  subject: string;
  /** personal: the minter's own user, and the username the token carries. */
  user?: { id: number; username?: string };
  audience: string;
  scopes: readonly string[];
  /** Unix seconds: the end of the token and of its session, checked by the caller against MINT_MAX_TTL. */
  expiresAt: number;
  client: ClientInfo;
}

/** A login's or a refresh's tokens, for the family's presenter to hand out. */
export interface IssuedTokens {
  sessionId: string;
  userId: number;
  accessToken: string;
  /** Seconds the access token is valid. */
  accessTtlSeconds: number;
  refreshToken: string;
  /** Seconds the session, and so its refresh token, has left. */
  refreshTtlSeconds: number;
}

/** A minted token: valid for its whole life, nothing to refresh. */
export interface MintedToken {
  /** The token's jti and sid. */
  sessionId: string;
  accessToken: string;
}

/**
 * A refresh token as its family takes it back: a copy from every place the family requires it
 * (v1: the HttpOnly cookie and X-Refresh-Token, so that a forged request cannot refresh), all present and equal.
 */
export type PresentedRefreshToken = readonly [string | undefined, ...Array<string | undefined>];

/** A minted or personal token lives as long as its session row; a login's access tokens only ACCESS_TOKEN_TTL. */
function revokedSession(session: Pick<Session, 'id' | 'type' | 'expiresAt'>): RevokedSession {
  return isMintedType(session.type) ? { id: session.id, tokensExpireAt: session.expiresAt } : { id: session.id };
}

const refreshInvalid = () => new AppException('error.refreshInvalid');

/** How each refusal of a refresh is counted (GET /metrics); other errors (the database down) count as none. */
const REFRESH_REFUSALS: ReadonlyMap<string, RefreshResult> = new Map<string, RefreshResult>([
  ['error.refreshMissing', 'missing'],
  ['error.refreshMismatch', 'mismatch'],
  ['error.refreshInvalid', 'invalid'],
  ['error.sessionBinding', 'binding'],
  ['error.refreshRaced', 'raced'],
  ['error.refreshReused', 'reuse'],
]);

/** Whole seconds the session has left: the refresh TTL its tokens are answered with. */
function secondsLeft(session: Pick<Session, 'expiresAt'>, now: Date): number {
  return Math.max(0, Math.floor((session.expiresAt.getTime() - now.getTime()) / 1000));
}

/** Inserts without reading the row back: nothing of it is needed, and the read would cost a query. */
async function insertSession(manager: EntityManager, row: QueryDeepPartialEntity<Session>): Promise<void> {
  await manager.createQueryBuilder().insert().into(Session).values(row).updateEntity(false).execute();
}

async function insertRefreshToken(manager: EntityManager, token: string, sessionId: string, generation: number, now: Date): Promise<void> {
  await manager
    .createQueryBuilder()
    .insert()
    .into(RefreshToken)
    .values({ tokenHash: hashToken(token), sessionId, generation, createdAt: now })
    .updateEntity(false)
    .execute();
}

/**
 * Every way of logging in, and every minting, ends here: one session row, and the tokens for it.
 * Also where sessions go on (rotation) and end (revocation). How the tokens reach the client is the
 * family's SessionPresenter's concern, not this one's.
 */
@Injectable()
export class SessionIssuer {
  /** The rotation's INSERT, with the database's clock for its deadline. */
  private readonly insertSuccessorSql: string;
  private readonly replaceUndeliveredSql: string;
  /** Rotations answered 503 whose successor the database may or may not have written. */
  private readonly unsettled = new UnsettledRotations();

  constructor(
    private readonly transactions: Transactions,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
    private readonly scopes: UserScopes,
    @Inject(sessionConfig.token) private readonly config: SessionConfig,
    private readonly metrics: Metrics,
  ) {
    this.insertSuccessorSql = insertSuccessor(transactions.clockSql);
    this.replaceUndeliveredSql = replaceUndelivered(transactions.clockSql);
  }

  /** Opens a session: a login's access and refresh tokens, or a minted token. */
  open(request: LoginRequest): Promise<IssuedTokens>;
  open(request: MintRequest): Promise<MintedToken>;
  open(request: LoginRequest | MintRequest): Promise<IssuedTokens | MintedToken> {
    return isMintRequest(request) ? this.mint(request) : this.login(request);
  }

  private login(request: LoginRequest): Promise<IssuedTokens> {
    return this.openAfter(async () => request);
  }

  /**
   * Opens a session for the user that `prepare` writes or checks in the same transaction (a registration,
   * a verification code consumed): both are stored, or neither is.
   */
  async openAfter(prepare: (manager: EntityManager) => Promise<LoginRequest>): Promise<IssuedTokens> {
    const sessionId = randomUUID();
    const refreshToken = newRefreshToken();
    const { request, now, lifetimeSeconds } = await this.transactions.run(async (manager) => {
      const request = await prepare(manager);
      const now = new Date();
      const lifetimeSeconds = request.lifetimeSeconds ?? this.config.refreshTtlSeconds;
      if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) throw new RangeError(`a session lifetime of ${lifetimeSeconds} s`);
      await this.recordLogin(manager, request, sessionId, refreshToken, now, lifetimeSeconds);
      return { request, now, lifetimeSeconds };
    });
    return this.issue(request.user, sessionId, refreshToken, lifetimeSeconds, now);
  }

  /** The login's address and time on the user, the session row, and its first refresh token. */
  private async recordLogin(
    manager: EntityManager,
    request: LoginRequest,
    sessionId: string,
    refreshToken: string,
    now: Date,
    lifetimeSeconds: number,
  ): Promise<void> {
    const { user, client } = request;
    // The user row first: inserting the session takes a shared lock on it through the foreign key,
    // and two logins that both then asked to upgrade it would deadlock on MySQL.
    await manager
      .getRepository(User)
      .update({ id: user.id }, { loginIp: client.ip, loginDate: now, ...(request.passwordRehash ? { passwordHash: request.passwordRehash } : {}) });
    await insertSession(manager, {
      id: sessionId,
      userId: user.id,
      type: request.type,
      ip: client.ip,
      userAgent: client.userAgent,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
      revokedAt: null,
      revokeReason: null,
    });
    await insertRefreshToken(manager, refreshToken, sessionId, 0, now);
  }

  private async mint(request: MintRequest): Promise<MintedToken> {
    const { minter, client } = request;
    const scopes = [...new Set(request.scopes)].sort();
    const now = Date.now();
    const id = randomUUID();
    const mintedBy = actorIdOf(minter);
    await this.transactions.run(async (manager) => {
      assertCanGrant(await heldScopes(manager, minter), scopes);
      await insertSession(manager, {
        id,
        userId: request.user?.id ?? null,
        type: request.type,
        ip: client.ip,
        userAgent: client.userAgent,
        createdAt: new Date(now),
        expiresAt: new Date(request.expiresAt * 1000),
        subject: request.subject,
        audience: request.audience,
        scopes: JSON.stringify(scopes),
        mintedBy,
      });
    });
    this.metrics.minted(request.type);
    const accessToken = this.tokens.signMintedToken(
      {
        id,
        subject: request.subject,
        audience: request.audience,
        scopes,
        expiresAt: request.expiresAt,
        username: request.user?.username,
        actor: request.type === 'minted' && mintedBy !== null ? String(mintedBy) : undefined,
      },
      now,
    );
    return { sessionId: id, accessToken };
  }

  /**
   * Rotates the refresh token of a session. Of several concurrent refreshes
   * with one token exactly one wins; a token that was rotated away earlier
   * (beyond REFRESH_REUSE_GRACE) is reuse of a stolen copy, and ends the whole session.
   */
  rotate(presented: PresentedRefreshToken, client: ClientInfo): Promise<IssuedTokens> {
    return this.counted(() => this.rotateOnce(presented, client));
  }

  /** A refresh of either family, counted by its outcome. */
  private async counted(refresh: () => Promise<IssuedTokens>): Promise<IssuedTokens> {
    let issued: IssuedTokens;
    try {
      issued = await refresh();
    } catch (error) {
      const result = error instanceof AppException ? REFRESH_REFUSALS.get(error.messageKey) : undefined;
      if (result) this.metrics.refresh(result);
      throw error;
    }
    this.metrics.refresh('ok');
    return issued;
  }

  private async rotateOnce(presented: PresentedRefreshToken, client: ClientInfo): Promise<IssuedTokens> {
    const [token, ...copies] = presented;
    if (!token || copies.some((copy) => !copy)) throw new AppException('error.refreshMissing');
    if (!copies.every((copy) => constantTimeEquals(copy!, token))) throw new AppException('error.refreshMismatch');
    if (!looksLikeRefreshToken(token)) throw refreshInvalid();

    const tokenHash = hashToken(token);
    const found = await findPresentedRefresh(this.transactions.reader, tokenHash);
    const now = new Date();
    if (!found || found.session.revokedAt || found.session.expiresAt <= now) throw refreshInvalid();
    const { session, user } = found;

    if (session.userAgent !== client.userAgent || (this.config.bindIp && session.ip !== client.ip)) {
      await this.revoke(session.id, 'client_mismatch');
      throw new AppException('error.sessionBinding');
    }
    if (found.token.rotatedAt && user && user.status === USER_STATUS_NORMAL && this.unsettled.successorOf(tokenHash) !== undefined) {
      const redone = await this.settling(tokenHash, found.token, () => this.redoUnsettled(tokenHash, found.token, now));
      if (redone) return this.settling(tokenHash, found.token, () => this.issue(user, session.id, redone, secondsLeft(session, now), now));
    }
    if (found.token.rotatedAt) {
      // The same client sending one token twice within moments is a race it lost (parallel tabs or
      // retries), not theft: refuse it without ending the session the winner was just given.
      if (now.getTime() - found.token.rotatedAt.getTime() <= this.config.refreshReuseGraceSeconds * 1000) {
        throw new AppException('error.refreshRaced');
      }
      await this.revoke(session.id, 'refresh_reuse');
      throw new AppException('error.refreshReused');
    }
    if (!user || user.status !== USER_STATUS_NORMAL) {
      await this.revoke(session.id, 'disabled');
      throw refreshInvalid();
    }

    // One statement, its own transaction. Another request that rotated this token between our read and
    // the insert won; this one loses quietly.
    return this.settling(tokenHash, found.token, async () => {
      const nextToken = await this.advance(
        (sql, parameters) => this.transactions.writeBefore(sql, parameters),
        found.token,
        now,
        () => new AppException('error.refreshRaced'),
      );
      return this.issue(user, session.id, nextToken, secondsLeft(session, now), now);
    });
  }

  /**
   * Runs the part of a rotation from its write to its answer. When the database fails in it (a crash, a lost
   * connection, a timeout), the successor may have been written although the client is answered 503 and never
   * sees it: the client's retry with the same token is then not reuse (see redoUnsettled).
   */
  private async settling<T>(tokenHash: string, presented: CurrentRefreshToken, work: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      if (!(error instanceof AppException)) this.unsettled.remember(tokenHash, presented.generation + 1);
      throw error;
    }
    this.unsettled.forget(tokenHash);
    return result;
  }

  /**
   * The api/v2 family's refresh, where the client keeps one token: the access token itself, verified but
   * perhaps expired, names its session, which must be of one of `types`, unrevoked and within its lifetime
   * (the refresh_ttl from login). Only the session's latest token is accepted: the refresh token row of the
   * current generation was written at the instant the token was signed (`iat_ms`). Of concurrent refreshes
   * with one token exactly one wins; the token it replaces is revoked by its jti at once.
   */
  renew(token: Principal, types: readonly LoginSessionType[]): Promise<IssuedTokens> {
    return this.counted(() => this.renewOnce(token, types));
  }

  private async renewOnce(token: Principal, types: readonly LoginSessionType[]): Promise<IssuedTokens> {
    const reader = this.transactions.reader;
    const session = await reader.getRepository(Session).findOneBy({ id: token.sid });
    const now = new Date();
    if (!session || !types.includes(session.type as LoginSessionType) || session.revokedAt || session.expiresAt <= now) throw refreshInvalid();
    if (session.userId === null || String(session.userId) !== token.sub) throw refreshInvalid();
    const current = await findCurrentRefresh(reader, session.id);
    if (!current || token.iat_ms === undefined || current.createdAt.getTime() !== token.iat_ms) throw refreshInvalid();
    const user = await reader.getRepository(User).findOneBy({ id: session.userId });
    if (!user || user.status !== USER_STATUS_NORMAL) {
      await this.revoke(session.id, 'disabled');
      throw refreshInvalid();
    }

    const deadline = await this.transactions.deadline();
    const nextToken = await this.transactions.run(async (manager) => {
      const next = await this.advance((sql, parameters) => execute(manager, sql, [...parameters, deadline]), current, now, refreshInvalid);
      await this.revocations.revokeTokens(manager, [{ jti: token.jti, expiresAt: new Date(token.exp * 1000) }], now);
      return next;
    });
    return this.issue(user, session.id, nextToken, secondsLeft(session, now), now);
  }

  /**
   * The retry of a rotation this instance answered 503 because the database failed mid-statement, when
   * that statement did write the successor: the successor was never delivered, so it is replaced by a new
   * token (its hash in place of the undelivered one) as long as it is still the session's latest; the answer
   * is the new token. Undefined when there is nothing to redo, and the token is judged as any rotated one.
   */
  private async redoUnsettled(tokenHash: string, presented: CurrentRefreshToken, now: Date): Promise<string | undefined> {
    const generation = this.unsettled.successorOf(tokenHash);
    if (generation === undefined || generation !== presented.generation + 1) return undefined;
    const current = await findCurrentRefresh(this.transactions.reader, presented.sessionId);
    if (!current || current.generation !== generation) return undefined;
    const nextToken = newRefreshToken();
    const written = await this.transactions.writeBefore(this.replaceUndeliveredSql, [
      hashToken(nextToken),
      sqlDateTime(now),
      presented.sessionId,
      generation,
      current.tokenHash,
    ]);
    return written === 1 ? nextToken : undefined;
  }

  /**
   * Rotates the session's refresh token `current` to its successor, by `write` (alone or in the caller's
   * transaction). Of two requests with the same token exactly one writes the successor (a unique key); the
   * other gets `lost()`. A session revoked or expired since it was read gets no successor.
   */
  private async advance(
    write: (sql: string, parameters: unknown[]) => Promise<number>,
    current: CurrentRefreshToken,
    now: Date,
    lost: () => AppException,
  ): Promise<string> {
    const nextToken = newRefreshToken();
    const at = sqlDateTime(now);
    let written: number;
    try {
      written = await write(this.insertSuccessorSql, [hashToken(nextToken), current.generation + 1, at, current.sessionId, at]);
    } catch (error) {
      // MySQL may instead pick one of the racing inserts as a deadlock victim: it lost the same race.
      if (isDuplicateKey(error) || driverErrorCode(error) === 'ER_LOCK_DEADLOCK') throw lost();
      throw error;
    }
    if (written !== 1) throw refreshInvalid();
    return nextToken;
  }

  /** The tokens of a session opened or refreshed at `now`. */
  private async issue(
    user: Pick<User, 'id' | 'username'>,
    sessionId: string,
    refreshToken: string,
    refreshTtlSeconds: number,
    now: Date,
  ): Promise<IssuedTokens> {
    const scopes = await this.scopes.of(user.id);
    return {
      sessionId,
      userId: user.id,
      // Dated before the session was written: a user-wide revocation that raced with it still ends this token.
      accessToken: this.tokens.signAccessToken({ userId: user.id, username: user.username, sessionId, scopes }, now.getTime()),
      accessTtlSeconds: this.tokens.accessTtlSeconds,
      refreshToken,
      refreshTtlSeconds,
    };
  }

  /** The session a refresh token belongs to, if the token is one we issued and still current. */
  async sessionOfRefreshToken(token: string | undefined): Promise<string | undefined> {
    if (!token || !looksLikeRefreshToken(token)) return undefined;
    const found = await findPresentedRefresh(this.transactions.reader, hashToken(token));
    return found && !found.token.rotatedAt ? found.session.id : undefined;
  }

  /**
   * Ends a session: its refresh token stops working, and its access tokens on the next request.
   * `authorize` runs first in the same transaction, so what it checked still holds when the session ends.
   * False when the session had already ended.
   */
  async revoke(sessionId: string, reason: RevokeReason, authorize?: (manager: EntityManager) => Promise<void>): Promise<boolean> {
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
      afterCommit(manager, () => this.metrics.revoked(reason));
      return true;
    });
  }

  /**
   * Ends every session of a user and every access token it holds, within the
   * caller's transaction (disabling, deleting, a new password), but `keepSessionId`. Answers how many
   * sessions were still open.
   */
  async revokeAllOf(manager: EntityManager, userId: number, reason: RevokeReason, keepSessionId?: string): Promise<number> {
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
    afterCommit(manager, () => this.metrics.revoked(reason, sessions.length));
    // Keeping the caller's own session means revoking the others one by one; otherwise every token of the user goes.
    const revoked = sessions.map(revokedSession);
    if (keepSessionId) {
      await this.revocations.revokeSessions(manager, revoked, now);
      return sessions.length;
    }
    const lastExpiry = revoked.reduce((latest, session) => Math.max(latest, session.tokensExpireAt?.getTime() ?? 0), 0);
    // Timed after the sessions' rows are locked: a refresh that committed before has an earlier issue time.
    await this.revocations.revokeUser(manager, userId, new Date(), lastExpiry > 0 ? new Date(lastExpiry) : undefined);
    return sessions.length;
  }
}

function isMintRequest(request: LoginRequest | MintRequest): request is MintRequest {
  return isMintedType(request.type);
}
