import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { V1SessionPresenter } from '../auth/v1-session.presenter';
import type { SessionPresenter } from '../session/session-presenter';
import type { SignedIn } from './token-login.service';

/**
 * How a partner sign-in hands out the session it opened: not its tokens but a redirect to the partner's
 * landing page with the one-time code they are kept behind (POST /auth/exchange trades it), and the v1 refresh
 * cookie, as POST /auth/session refreshes these sessions. Nothing of the request decides where the browser goes.
 */
@Injectable()
export class SsoSessionPresenter implements SessionPresenter<SignedIn> {
  constructor(private readonly v1: V1SessionPresenter) {}

  opened(reply: FastifyReply, signedIn: SignedIn): void {
    this.v1.setRefreshCookie(reply, signedIn.tokens);
    // The landing URL holds the code: the browser must not pass it on as a Referer.
    void reply.status(302).headers({ location: signedIn.location, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' }).send();
  }
}
