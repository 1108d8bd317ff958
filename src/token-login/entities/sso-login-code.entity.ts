import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A one-time code a partner sign-in redirects with, traded once by POST /auth/exchange for the session's
 * tokens. Only its hash is stored; the tokens are sealed with a key derived from the code itself, so the
 * table alone yields no usable token.
 */
@Entity({ name: 'sso_login_code' })
export class SsoLoginCode {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  /** SHA-256 of the browser's User-Agent (and IP with SESSION_BIND_IP): another client cannot trade the code. */
  @Column({ name: 'client_hash', type: 'varchar', length: 64 })
  clientHash!: string;

  /** The tokens, AES-256-GCM under a key derived from the code: iv.tag.ciphertext. */
  @Column({ type: 'text' })
  sealed!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
