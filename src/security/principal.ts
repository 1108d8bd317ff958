/** The claims of a verified access token, attached to the request by the guard. */
export interface Principal {
  jti: string;
  iss: string;
  sub: string;
  aud: string | string[];
  iat: number;
  /**
   * Our own claim: the issue time in Unix milliseconds, so that a login in the
   * same second as a user-wide revocation is told apart from the tokens it ended.
   * Absent from tokens of older builds.
   */
  iat_ms?: number;
  /** Not before (Unix seconds), when the token carries one. */
  nbf?: number;
  exp: number;
  sid: string;
  scope: string[];
  /** Absent from tokens minted for a subject that is not a user. */
  username?: string;
  /** Minted tokens: who minted them (RFC 8693 actor). */
  act?: { sub: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The user a token speaks for: its numeric subject, unless the token was
 * minted by someone else for that subject (then it speaks for no user, and
 * cannot use another user's self-service routes).
 */
export function userIdOf(principal: Principal): number | undefined {
  if (principal.act && principal.act.sub !== principal.sub) return undefined;
  return /^[1-9]\d{0,9}$/.test(principal.sub) ? Number(principal.sub) : undefined;
}

/** The user behind an action, for createBy/updateBy: the minter of a minted token, else the subject. */
export function actorIdOf(principal: Principal): number | null {
  const id = principal.act?.sub ?? principal.sub;
  return /^[1-9]\d{0,9}$/.test(id) ? Number(id) : null;
}
