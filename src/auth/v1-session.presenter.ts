import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { expiredCookie, readCookie, serializeCookie } from '../common/cookies';
import { Reply } from '../common/envelope';
import type { IssuedTokens, PresentedRefreshToken } from '../session/session-issuer.service';
import type { SessionPresenter } from '../session/session-presenter';
import { SessionConfig, sessionConfig } from '../session/session.config';
import type { LoginResultDto } from './dto/login.dto';

const REFRESH_COOKIE = 'token';
const REFRESH_HEADER = 'x-refresh-token';
/** The refresh cookie goes only to the routes that take it. */
const REFRESH_COOKIE_PATH = '/auth';

/**
 * The documents' way of handing out a session: the access token in `Authorization`, the refresh token in
 * `X-Refresh-Token` and in an HttpOnly cookie, never cached; the login's body in the v1 envelope.
 */
@Injectable()
export class V1SessionPresenter implements SessionPresenter {
  constructor(@Inject(sessionConfig.token) private readonly config: SessionConfig) {}

  /** POST /auth/login: 200, `{token, userId}`. */
  opened(reply: FastifyReply, tokens: IssuedTokens): Reply<LoginResultDto> {
    this.sendTokens(reply, tokens);
    return new Reply('login.success', { token: tokens.accessToken, userId: tokens.userId });
  }

  /** POST /auth/session: 204, the new tokens only in the headers and the cookie. */
  refreshed(reply: FastifyReply, tokens: IssuedTokens): void {
    this.sendTokens(reply, tokens);
  }

  /** POST /auth/logout: the refresh cookie is cleared. */
  ended(reply: FastifyReply): Reply<null> {
    reply.header('cache-control', 'no-store');
    reply.header('set-cookie', expiredCookie(REFRESH_COOKIE, this.cookieAttributes()));
    return new Reply('logout.success', null);
  }

  /**
   * The refresh cookie alone, as POST /auth/session takes it back: for a family that opens v1 sessions without
   * answering their tokens (partner sign-in redirects, its landing page trades a code for them).
   */
  setRefreshCookie(reply: FastifyReply, tokens: IssuedTokens): void {
    reply.header('set-cookie', serializeCookie(REFRESH_COOKIE, tokens.refreshToken, { ...this.cookieAttributes(), maxAgeSeconds: tokens.refreshTtlSeconds }));
  }

  private cookieAttributes() {
    return { httpOnly: true, sameSite: 'Strict', path: REFRESH_COOKIE_PATH, secure: this.config.cookieSecure } as const;
  }

  private sendTokens(reply: FastifyReply, tokens: IssuedTokens): void {
    reply.header('authorization', `Bearer ${tokens.accessToken}`);
    reply.header('x-refresh-token', tokens.refreshToken);
    reply.header('cache-control', 'no-store');
    this.setRefreshCookie(reply, tokens);
  }
}

export function refreshHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[REFRESH_HEADER];
  return typeof value === 'string' && value.length > 0 ? value.trim() : undefined;
}

/** The cookies are read here, on the routes that take the refresh token, rather than for every request. */
export function refreshCookie(request: FastifyRequest): string | undefined {
  const value = readCookie(request.headers.cookie, REFRESH_COOKIE);
  return value && value.length > 0 ? value : undefined;
}

/** Where v1 takes the refresh token back: from both places it was handed out, which must agree. */
export function presentedRefreshToken(request: FastifyRequest): PresentedRefreshToken {
  return [refreshHeader(request), refreshCookie(request)];
}
