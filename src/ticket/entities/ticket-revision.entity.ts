import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row counting the changes to tickets and their keys: every write raises it in its own transaction,
 * so an instance that reads a new value reloads its JWKS view and sees every change up to it.
 */
@Entity({ name: 'api_ticket_revision' })
export class TicketRevision {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'int' })
  revision!: number;
}

export const TICKET_REVISION_ROW = 1;
