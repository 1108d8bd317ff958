import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AuditedEntity } from '../../database/audited.entity';

export const PARTNER_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type PartnerAlgorithm = (typeof PARTNER_ALGORITHMS)[number];

/** The longest maxTokenAge may be; the replay cache keeps a used token at least this long (token-use.store.ts). */
export const MAX_TOKEN_AGE_LIMIT_SECONDS = 3600;
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 300;

/** A partner system whose signed tokens log its users in here (GET /account/tokenLogin.do). */
@Entity({ name: 'sso_partner' })
export class SsoPartner extends AuditedEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** Matched against a token's `iss`; unique. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  issuer!: string | null;

  /** The only algorithm its tokens may be signed with. */
  @Column({ type: 'varchar', length: 8 })
  algorithm!: PartnerAlgorithm;

  /** HS256: the shared secret, encrypted with KEY_ENCRYPTION_SECRET (iv.tag.ciphertext). Never answered. */
  @Column({ name: 'secret', type: 'varchar', length: 1024, nullable: true, select: false })
  encryptedSecret!: string | null;

  /** RS256/ES256: the public key, SPKI PEM. */
  @Column({ name: 'public_key', type: 'text', nullable: true })
  publicKey!: string | null;

  @Column({ name: 'landing_url', type: 'varchar', length: 2048 })
  landingUrl!: string;

  @Column({ name: 'max_token_age', type: 'int', default: DEFAULT_MAX_TOKEN_AGE_SECONDS })
  maxTokenAge!: number;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** true for the one partner that takes tokens without `iss`, NULL for the others: a unique key allows one true. */
  @Column({ name: 'is_default', type: 'boolean', nullable: true })
  isDefault!: true | null;
}
