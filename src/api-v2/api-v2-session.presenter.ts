import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Reply } from '../common/envelope';
import type { IssuedTokens } from '../session/session-issuer.service';
import type { SessionPresenter } from '../session/session-presenter';

/** Document 002's token answer: lifetimes in minutes. */
export interface ApiV2TokenBody {
  access_token: string;
  token_type: 'bearer';
  /** Minutes the access token is valid. */
  expires_in: number;
  /** Minutes the session can still be refreshed. */
  refresh_ttl: number;
}

/**
 * The api/v2 family keeps one token: the access token, in the body, never cached. The session's refresh
 * token stays on the server; `api/v2/auth/refresh` takes the access token itself.
 */
@Injectable()
export class ApiV2SessionPresenter implements SessionPresenter<IssuedTokens> {
  opened(reply: FastifyReply, tokens: IssuedTokens): Reply<ApiV2TokenBody> {
    reply.header('cache-control', 'no-store');
    return new Reply('login.success', {
      access_token: tokens.accessToken,
      token_type: 'bearer',
      expires_in: Math.floor(tokens.accessTtlSeconds / 60),
      refresh_ttl: Math.floor(tokens.refreshTtlSeconds / 60),
    });
  }

  refreshed(reply: FastifyReply, tokens: IssuedTokens): Reply<ApiV2TokenBody> {
    return this.opened(reply, tokens);
  }

  ended(reply: FastifyReply): Reply<{ message: string }> {
    reply.header('cache-control', 'no-store');
    return new Reply('logout.success', { message: '退出成功' });
  }
}
