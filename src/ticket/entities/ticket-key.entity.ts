import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Ticket } from './ticket.entity';

/**
 * A key pair of a ticket: the current one, or one rotated out and still published until `expiresAt`.
 * A JWT-SIGNER ticket's private key was handed to the client once and is not kept.
 */
@Entity({ name: 'api_ticket_key' })
export class TicketKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ name: 'ticket_id', type: 'int' })
  ticketId!: number;

  @ManyToOne(() => Ticket, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ticket_id' })
  ticket?: Ticket;

  /** The public JWK as published: kty, kid, n, e, alg, use. */
  @Column({ name: 'public_jwk', type: 'varchar', length: 2000 })
  publicJwk!: string;

  /** JWT tickets: AES-256-GCM (iv.tag.ciphertext, base64url) of the PKCS#8 PEM, under KEY_ENCRYPTION_SECRET. */
  @Column({ name: 'private_key', type: 'text', nullable: true, select: false })
  privateKey?: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** Rotated out: published until then (TICKET_ROTATION_GRACE later). Null for the current key. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;
}
