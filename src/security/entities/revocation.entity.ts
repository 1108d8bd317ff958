import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RevocationKind = 'session' | 'user';

/**
 * The revocation log the guard's in-memory view is built from: a session, or
 * every token a user was issued up to `revoked_at`. An entry matters only
 * until the last access token it can affect has expired (`expires_at`).
 */
@Entity({ name: 'auth_revocation' })
export class Revocation {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 16 })
  kind!: RevocationKind;

  /** The session id, or the user id as a string. */
  @Column({ type: 'varchar', length: 64 })
  subject!: string;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3 })
  revokedAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
