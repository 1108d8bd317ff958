import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only: rows are inserted, never updated or deleted by the service. */
@Entity({ name: 'audit_log' })
export class AuditLog {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'datetime', precision: 3 })
  time!: Date;

  /** A user id, a username (failed logins), or the subject of a minted token. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  actor!: string | null;

  @Column({ type: 'varchar', length: 32 })
  action!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  target!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** success or failure */
  @Column({ type: 'varchar', length: 16 })
  outcome!: string;

  /** JSON: the route, the status, and the fields the route declares safe to keep. Never a password, token or key. */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  details!: string | null;
}
