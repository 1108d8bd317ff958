import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** How the session was opened: a login family (password, partner SSO, the mobile app, WeChat), or a minted token. */
export const SESSION_TYPES = ['password', 'sso', 'mobile', 'wechat', 'minted', 'personal'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];
/** Sessions whose one token is minted for its whole lifetime: no refresh token, and a revocation lasts until it expires. */
const MINTED_SESSION_TYPES = ['minted', 'personal'] as const satisfies readonly SessionType[];
export type MintedSessionType = (typeof MINTED_SESSION_TYPES)[number];
export type LoginSessionType = Exclude<SessionType, MintedSessionType>;

export function isMintedType(type: SessionType): type is MintedSessionType {
  return (MINTED_SESSION_TYPES as readonly SessionType[]).includes(type);
}

export type RevokeReason = 'logout' | 'refresh_reuse' | 'client_mismatch' | 'kickout' | 'disabled' | 'deleted' | 'password_changed';

/**
 * One login (the refresh tokens it rotates through live in auth_refresh_token: how often and when it was last
 * refreshed is its latest token's generation and time),
 * or one minted token (type minted or personal; its id is the token's jti and sid).
 */
@Entity({ name: 'auth_session' })
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The user; null for a token minted for a subject that is not a user. */
  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  /** Minted tokens: the `sub` they carry. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  subject!: string | null;

  /** Minted tokens: the `aud` they carry. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  audience!: string | null;

  /** Minted tokens: the scopes they carry, as JSON. */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  scopes!: string | null;

  /** Minted tokens: the user who minted them. */
  @Column({ name: 'minted_by', type: 'int', nullable: true })
  mintedBy!: number | null;

  @Column({ type: 'varchar', length: 16, default: 'password' })
  type!: SessionType;

  @Column({ type: 'varchar', length: 64 })
  ip!: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512 })
  userAgent!: string;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason!: RevokeReason | null;
}
