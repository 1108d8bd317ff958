/** The claims of a verified access token, attached to the request by the guard. */
export interface Principal {
  jti: string;
  iss: string;
  sub: string;
  aud: string | string[];
  iat: number;
  exp: number;
  sid: string;
  scope: string[];
  username: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
