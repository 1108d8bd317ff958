import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { ChangeTrackedEntity } from '../../database/audited.entity';

export const TICKET_TYPES = ['JWT', 'JWT-SIGNER'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];
export const TICKET_ALGS = ['RS256', 'RS512'] as const;
export type TicketAlg = (typeof TICKET_ALGS)[number];

/**
 * An API gateway's credential: a key pair (in api_ticket_key) whose public half the gateway fetches from
 * GET /v1/auth/jwks. A JWT ticket's client token is not stored: it is signed again from the claims kept
 * here (RSASSA-PKCS1-v1_5 signatures are deterministic), with the private key stored encrypted.
 */
@Entity({ name: 'api_ticket' })
export class Ticket extends ChangeTrackedEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'gateway_id', type: 'int' })
  gatewayId!: number;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** The name as uniqueness sees it (ticketNameKey): unique per gateway, compared the same way on every database. */
  @Column({ name: 'name_key', type: 'varchar', length: 255 })
  nameKey!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  comment!: string | null;

  @Column({ name: 'ticket_type', type: 'varchar', length: 16 })
  ticketType!: TicketType;

  @Column({ type: 'varchar', length: 8 })
  alg!: TicketAlg;

  /** The current key; rotated-out keys stay in api_ticket_key for their grace period. */
  @Column({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ name: 'valid_start_time', type: 'datetime', precision: 3 })
  validStartTime!: Date;

  @Column({ name: 'valid_end_time', type: 'datetime', precision: 3 })
  validEndTime!: Date;

  /** JWT tickets: the jti and iat of the current client token, from which it is signed again. */
  @Column({ name: 'token_jti', type: 'varchar', length: 36, nullable: true })
  tokenJti!: string | null;

  @Column({ name: 'token_issued_at', type: 'datetime', precision: 3, nullable: true })
  tokenIssuedAt!: Date | null;
}

/**
 * Names are unique per gateway whatever their case, width or surrounding spaces, on SQLite and MySQL alike
 * (the column compares bytes on MySQL: its default collation would also fold accents and ignore trailing spaces).
 */
export function ticketNameKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}
