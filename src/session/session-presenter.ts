import type { FastifyReply } from 'fastify';
import type { IssuedTokens } from './session-issuer.service';

/**
 * How one API family hands a session to its clients. SessionIssuer answers every family alike; the
 * presenter decides where the tokens go (headers, a cookie, the body, a redirect) and what the body says.
 * Errors are not its concern: the family's Renderer (common/renderer.ts) shapes those.
 *
 * Each family implements it beside its controller and provides it in its module: the v1 one is
 * auth/v1-session.presenter.ts. A family presents what its flow makes of the tokens (`Issued`): the
 * api/v2 family the tokens themselves, the SSO family the one-time code it keeps them behind.
 * The methods' return types are the family's own: what its handlers return.
 */
export interface SessionPresenter<Issued = IssuedTokens> {
  /** A login opened the session. */
  opened(reply: FastifyReply, issued: Issued): unknown;
  /** The family's refresh route rotated the tokens; absent when it has none. */
  refreshed?(reply: FastifyReply, issued: Issued): unknown;
  /** The family's logout route ended the session: whatever the client keeps of it is cleared. */
  ended?(reply: FastifyReply): unknown;
}
