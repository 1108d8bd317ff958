import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every refresh token a session has been given, by its SHA-256: the current one
 * has no rotated_at; finding a rotated one again is how reuse is detected.
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

  @Column({ name: 'rotated_at', type: 'datetime', precision: 3, nullable: true })
  rotatedAt!: Date | null;
}
