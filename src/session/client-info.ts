import type { FastifyRequest } from 'fastify';

/** The client a session is opened for, and bound to: its refresh token works only from the same one. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

/** The same for every family: the address Fastify trusts (TRUST_PROXY) and the User-Agent, cut to its column. */
export function clientOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: (typeof userAgent === 'string' ? userAgent : '').slice(0, 512) };
}
