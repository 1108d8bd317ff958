import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where a code goes: `mail` to an email address, `sms` to a mainland China mobile number (the document's verifiableType). */
export type VerifyChannel = 'mail' | 'sms';

/**
 * The latest verification code sent to one address: one row per address (a unique key), so a new send
 * replaces the old code, and the time of the last send is what the resend limit compares.
 */
@Entity({ name: 'auth_verify_code' })
export class VerifyCode {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 8 })
  channel!: VerifyChannel;

  /** The normalised address: a lower-case email, or the 11 digits of a phone number. */
  @Column({ type: 'varchar', length: 254 })
  destination!: string;

  /** HMAC-SHA256 of the code under a key derived from the JWT secret: six digits alone would be guessed from a plain hash. */
  @Column({ name: 'code_hash', type: 'varchar', length: 64, select: false })
  codeHash!: string;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3 })
  sentAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'failed_attempts', type: 'int', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'consumed_at', type: 'datetime', precision: 3, nullable: true })
  consumedAt!: Date | null;
}
