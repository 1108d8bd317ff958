import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An asymmetric signing key (JWT_ALG RS256 or ES256). The private key is
 * stored encrypted with KEY_ENCRYPTION_SECRET; the public one is published in
 * the JWKS until every token it signed has expired.
 */
@Entity({ name: 'auth_signing_key' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'varchar', length: 8 })
  alg!: string;

  @Column({ name: 'public_jwk', type: 'varchar', length: 2000 })
  publicJwk!: string;

  /** AES-256-GCM: iv.tag.ciphertext, base64url, of the PKCS#8 PEM. */
  @Column({ name: 'private_key', type: 'text' })
  privateKey!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /**
   * When it starts signing: a rotated-in key is published first and signs only
   * once every instance has had time to load it.
   */
  @Column({ name: 'activates_at', type: 'datetime', precision: 3 })
  activatesAt!: Date;

  /** When a newer key was rotated in; null while this one is the newest. */
  @Column({ name: 'retired_at', type: 'datetime', precision: 3, nullable: true })
  retiredAt!: Date | null;

  /** After this no token it signed is still valid: it leaves the JWKS. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;
}
