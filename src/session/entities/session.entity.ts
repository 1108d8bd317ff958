import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SessionType = 'password' | 'sso' | 'mobile' | 'minted' | 'personal';

export type RevokeReason = 'logout' | 'refresh_reuse' | 'client_mismatch' | 'kickout' | 'disabled' | 'deleted' | 'password_changed';

/**
 * One login (the refresh tokens it rotates through live in auth_refresh_token),
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

  /** How many times the refresh token has been rotated. */
  @Column({ type: 'int', default: 0 })
  rotation!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'datetime', precision: 3 })
  lastUsedAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason!: RevokeReason | null;
}
