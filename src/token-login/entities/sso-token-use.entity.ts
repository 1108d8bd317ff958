import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A partner token that has been accepted once: a second insert of its key is a replay. Pruned once it is stale. */
@Entity({ name: 'sso_token_use' })
export class SsoTokenUse {
  /** SHA-256 of the partner and the token's jti, or of the token's signed content when it has none. */
  @PrimaryColumn({ name: 'token_key', type: 'varchar', length: 64 })
  tokenKey!: string;

  @Column({ name: 'partner_id', type: 'int' })
  partnerId!: number;

  @Column({ name: 'used_at', type: 'datetime', precision: 3 })
  usedAt!: Date;

  /** After this no freshness check can accept the token any more, so the row may go. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
