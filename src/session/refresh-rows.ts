import { prepared, readDateTime } from '../database/sql';
import type { Reader } from '../database/transactions';
import type { User } from '../user/entities/user.entity';
import type { RefreshToken } from './entities/refresh-token.entity';
import type { Session } from './entities/session.entity';

/*
 * A refresh rotation's statements, hand-written (database/sql.ts): it is the hottest write path, and the
 * query builder's building and hydrating cost more than the queries themselves.
 */

/**
 * The presented token, when it was rotated (its successor's creation), its session and the session's user,
 * in one round trip.
 */
const PRESENTED_REFRESH = prepared(`SELECT rt.session_id, rt.generation, nxt.created_at AS rotated_at,
    s.user_agent, s.ip, s.expires_at, s.revoked_at,
    u.user_id, u.username, u.status
  FROM auth_refresh_token rt
  JOIN auth_session s ON s.id = rt.session_id
  LEFT JOIN auth_refresh_token nxt ON nxt.session_id = rt.session_id AND nxt.generation = rt.generation + 1
  LEFT JOIN sys_user u ON u.user_id = s.user_id
  WHERE rt.token_hash = ?`);

/** A session's current token: the one without a successor. */
const CURRENT_REFRESH = `SELECT token_hash, generation, created_at FROM auth_refresh_token
  WHERE session_id = ? ORDER BY generation DESC LIMIT 1`;

/**
 * A rotation, whole in one statement: the successor of generation n, written only while the session is
 * unrevoked and unexpired (else no row), and only before the deadline on the database's clock `clockSql`
 * (Transactions.writeBefore): a statement a stalled server runs after its client was answered 503 writes
 * nothing, so the client's token stays valid. Of several rotations of one token the unique key on
 * (session_id, generation) lets exactly one write it; the others fail with a duplicate key.
 * Parameters: new token's hash, generation n+1, now, session id, now, deadline (seconds since the epoch).
 */
export const insertSuccessor = (clockSql: string) =>
  prepared(`INSERT INTO auth_refresh_token (token_hash, session_id, generation, created_at)
  SELECT ?, s.id, ?, ? FROM auth_session s WHERE s.id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND ${clockSql} < ?`);

/**
 * A successor that was never delivered (its rotation was answered 503) replaced by a new one, while it is
 * still that session's latest: the deadline keeps a late run from replacing a token the client now holds.
 * Parameters: new token's hash, now, session id, generation, the undelivered token's hash, deadline.
 */
export const replaceUndelivered = (clockSql: string) => `UPDATE auth_refresh_token SET token_hash = ?, created_at = ?
  WHERE session_id = ? AND generation = ? AND token_hash = ? AND ${clockSql} < ?`;

/** A session's refresh token, as rotation needs it. */
export type CurrentRefreshToken = Pick<RefreshToken, 'tokenHash' | 'sessionId' | 'generation'>;

export interface PresentedRefresh {
  /** rotatedAt: when its successor was written; null while it is the session's current token. */
  token: CurrentRefreshToken & { rotatedAt: Date | null };
  session: Pick<Session, 'id' | 'userAgent' | 'ip' | 'expiresAt' | 'revokedAt'>;
  /** Null for a session whose user is gone. */
  user: Pick<User, 'id' | 'username' | 'status'> | null;
}

interface PresentedRow {
  session_id: string;
  generation: number;
  rotated_at: Date | string | null;
  user_agent: string;
  ip: string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  user_id: number | null;
  username: string | null;
  status: string | null;
}

export async function findPresentedRefresh(reader: Reader, tokenHash: string): Promise<PresentedRefresh | undefined> {
  const [row] = await reader.query<PresentedRow[]>(PRESENTED_REFRESH, [tokenHash]);
  if (!row) return undefined;
  return {
    token: { tokenHash, sessionId: row.session_id, generation: Number(row.generation), rotatedAt: readDateTime(row.rotated_at) },
    session: {
      id: row.session_id,
      userAgent: row.user_agent,
      ip: row.ip,
      expiresAt: readDateTime(row.expires_at),
      revokedAt: readDateTime(row.revoked_at),
    },
    user: row.user_id === null ? null : { id: Number(row.user_id), username: row.username!, status: row.status! },
  };
}

export async function findCurrentRefresh(reader: Reader, sessionId: string): Promise<(CurrentRefreshToken & Pick<RefreshToken, 'createdAt'>) | undefined> {
  const [row] = await reader.query<Array<{ token_hash: string; generation: number; created_at: Date | string }>>(CURRENT_REFRESH, [sessionId]);
  return row && { tokenHash: row.token_hash, sessionId, generation: Number(row.generation), createdAt: readDateTime(row.created_at) };
}
