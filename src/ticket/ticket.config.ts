import { configSlice } from '../config/config-slice';

/** The gateway-ticket module's settings. */
export interface TicketConfig {
  /** How long a rotated-out key stays in its gateway's JWKS, so that clients holding its tokens keep working. */
  rotationGraceSeconds: number;
}

export const ticketConfig = configSlice<TicketConfig>('ticket', (read) => ({
  rotationGraceSeconds: read.duration('TICKET_ROTATION_GRACE', 24 * 3600, 0, 30 * 86400),
}));
