import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Session } from './entities/session.entity';
import { AppException } from '../common/app.exception';
import { readDateTime } from '../database/sql';
import { Transactions } from '../database/transactions';
import { containsPattern, LIKE_ESCAPE, Page, pageWindow } from '../common/paging';
import { formatTime } from '../common/time';
import { assertCanGrant, assertCanManageUser, heldScopes } from '../security/grants';
import type { Principal } from '../security/principal';
import { User } from '../user/entities/user.entity';
import { SessionDto, SessionQueryDto } from './dto/session.dto';
import { SessionIssuer } from './session-issuer.service';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertSessionId(id: string): void {
  if (!SESSION_ID.test(id)) throw new AppException('error.invalidId');
}

/** Raw columns the search adds to each session. */
interface SessionExtras {
  username?: string | null;
  /** Its latest refresh token's time: the session's last refresh, or its start. */
  last_refresh?: Date | string | null;
}

function toSessionDto(session: Session, { username, last_refresh }: SessionExtras): SessionDto {
  return {
    id: session.id,
    type: session.type,
    userId: session.userId,
    username: username ?? null,
    subject: session.subject,
    audience: session.audience,
    scopes: session.scopes ? (JSON.parse(session.scopes) as string[]) : null,
    mintedBy: session.mintedBy,
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: formatTime(session.createdAt),
    lastSeenAt: formatTime(last_refresh ? readDateTime(last_refresh) : session.createdAt),
    expiresAt: formatTime(session.expiresAt),
    revokedAt: formatTime(session.revokedAt),
    revokeReason: session.revokeReason,
  };
}

@Injectable()
export class SessionService {
  constructor(
    private readonly transactions: Transactions,
    private readonly issuer: SessionIssuer,
  ) {}

  async search(query: SessionQueryDto, onlyUserId?: number): Promise<Page<SessionDto>> {
    const builder = this.transactions.reader
      .getRepository(Session)
      .createQueryBuilder('s')
      .leftJoin(User, 'u', 'u.user_id = s.user_id')
      .addSelect('u.username', 'username')
      .addSelect('(SELECT MAX(t.created_at) FROM auth_refresh_token t WHERE t.session_id = s.id)', 'last_refresh');
    const userId = onlyUserId ?? query.userId;
    if (userId !== undefined) builder.andWhere('s.userId = :userId', { userId });
    if (query.username) {
      builder.andWhere(`(u.username LIKE :username ${LIKE_ESCAPE} OR s.subject LIKE :username ${LIKE_ESCAPE})`, { username: containsPattern(query.username) });
    }
    if (query.ip) builder.andWhere('s.ip = :ip', { ip: query.ip });
    if (query.type) builder.andWhere('s.type = :type', { type: query.type });
    if (query.active === true) builder.andWhere('s.revokedAt IS NULL AND s.expiresAt > :now', { now: new Date() });
    if (query.active === false) builder.andWhere('(s.revokedAt IS NOT NULL OR s.expiresAt <= :now)', { now: new Date() });
    const total = await builder.getCount();
    const { skip, take } = pageWindow(query);
    const { entities, raw } = await builder.orderBy('s.createdAt', 'DESC').addOrderBy('s.id', 'ASC').offset(skip).limit(take).getRawAndEntities();
    return { total, list: entities.map((session, i) => toSessionDto(session, raw[i] as SessionExtras)) };
  }

  /** Ends one of the owner's own sessions; someone else's is a 404. Ending it twice is a 409. */
  async endOwn(ownerId: number, sessionId: string): Promise<void> {
    const session = await this.find(sessionId);
    if (session.userId !== ownerId) throw new AppException('error.sessionNotFound');
    await this.revoke(sessionId);
  }

  /**
   * Ends anyone's session, by the rule of POST /user/{uid}/kickout: not of a
   * user holding a scope the caller lacks, nor a minted token carrying one.
   */
  async kickout(caller: Principal, sessionId: string): Promise<void> {
    const session = await this.find(sessionId);
    await this.revoke(sessionId, async (manager) => {
      if (session.userId !== null) await assertCanManageUser(manager, caller, session.userId);
      if (session.scopes) assertCanGrant(await heldScopes(manager, caller), JSON.parse(session.scopes) as string[]);
    });
  }

  private async find(sessionId: string): Promise<Session> {
    assertSessionId(sessionId);
    const session = await this.transactions.reader.getRepository(Session).findOneBy({ id: sessionId });
    if (!session) throw new AppException('error.sessionNotFound');
    return session;
  }

  private async revoke(sessionId: string, authorize?: (manager: EntityManager) => Promise<void>): Promise<void> {
    if (!(await this.issuer.revoke(sessionId, 'kickout', authorize))) throw new AppException('error.sessionAlreadyEnded');
  }
}
