import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A session, every token of a user up to a moment, or one access token by its jti (api/v2's refresh). */
export type RevocationKind = 'session' | 'user' | 'token';

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

  /** The session id, the user id as a string, or a token's jti. */
  @Column({ type: 'varchar', length: 64 })
  subject!: string;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3 })
  revokedAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
