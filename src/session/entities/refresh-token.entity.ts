import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every refresh token a session has been given, by its SHA-256. Generation n+1 is the successor of n,
 * written by the rotation that spent n (one per generation: a unique key); the current token is the one
 * without a successor, and a token presented again after its successor exists is reuse.
 */
@Entity({ name: 'auth_refresh_token' })
export class RefreshToken {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId!: string;

  @Column({ type: 'int' })
  generation!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
