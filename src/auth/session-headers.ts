import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionConfig } from '../session/session.config';
import type { IssuedTokens } from '../session/session-issuer.service';

export const REFRESH_COOKIE = 'token';
export const REFRESH_HEADER = 'x-refresh-token';
/** The refresh cookie goes only to the routes that take it. */
const REFRESH_COOKIE_PATH = '/auth';

export function refreshHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[REFRESH_HEADER];
  return typeof value === 'string' && value.length > 0 ? value.trim() : undefined;
}

export function refreshCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[REFRESH_COOKIE];
  return value && value.length > 0 ? value : undefined;
}

/** The documents' way of handing out tokens: headers, plus the refresh token as an HttpOnly cookie. */
export function sendSessionTokens(reply: FastifyReply, tokens: IssuedTokens, config: SessionConfig): void {
  reply.header('authorization', `Bearer ${tokens.accessToken}`);
  reply.header('x-refresh-token', tokens.refreshToken);
  reply.header('cache-control', 'no-store');
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: tokens.refreshTtlSeconds,
    secure: config.cookieSecure,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: SessionConfig): void {
  reply.header('cache-control', 'no-store');
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', path: REFRESH_COOKIE_PATH, secure: config.cookieSecure });
}
