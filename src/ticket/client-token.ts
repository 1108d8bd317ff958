import { createSigner } from 'fast-jwt';
import type { TicketAlg } from './entities/ticket.entity';

/** What a JWT ticket's client token says; with the same claims and key it is signed to the same text again. */
export interface ClientTokenClaims {
  issuer: string;
  /** The ticket's name. */
  subject: string;
  gatewayId: number;
  jti: string;
  issuedAt: Date;
  validStartTime: Date;
  validEndTime: Date;
}

/** The audience of a gateway's client tokens. */
export const gatewayAudience = (gatewayId: number) => `gateway:${gatewayId}`;

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The header fast-jwt writes, in its order: the first characters of a token depend on the algorithm alone. */
const header = (alg: TicketAlg, kid: string) => JSON.stringify({ alg, typ: 'JWT', kid });

/**
 * Signs with the ticket's private key (PKCS#8 PEM). RSASSA-PKCS1-v1_5 is deterministic, so the token can be
 * shown again in the console without being stored.
 */
export function signClientToken(privateKeyPem: string, alg: TicketAlg, kid: string, claims: ClientTokenClaims): string {
  const sign = createSigner({ key: privateKeyPem, algorithm: alg, kid });
  return sign({
    iss: claims.issuer,
    sub: claims.subject,
    aud: gatewayAudience(claims.gatewayId),
    jti: claims.jti,
    iat: seconds(claims.issuedAt),
    nbf: seconds(claims.validStartTime),
    exp: seconds(claims.validEndTime),
  });
}

/** The list's form, as the document shows it: `eyJhbGciOiJSUzUx****`, the first 16 characters of the token. */
export function maskedClientToken(alg: TicketAlg, kid: string): string {
  return `${Buffer.from(header(alg, kid)).toString('base64url').slice(0, 16)}****`;
}

/** The list's form of the server key, as the document shows it: `{"kty":"RSA","kid":"9c901c45-…-8307012c****"}`. */
export function maskedServerKey(kid: string): string {
  return JSON.stringify({ kty: 'RSA', kid: `${kid.slice(0, -4)}****` });
}
