import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { AccessTokenGuard } from '../security/access-token.guard';

/** The route TokenCheckController.check declares (and documents): Fastify answers valid tokens directly. */
export const TOKEN_CHECK_URL = '/test';

/**
 * GET /test is what clients call to check an access token, so its 204 skips Nest's pipeline (execution
 * context, the global guard's context switch, the response controller): as Nest registers the route, its
 * Fastify handler is wrapped by one that answers a valid, unrevoked token (the route requires no scope) with
 * the same bare 204, checked by the global guard's own authenticate(). Anything else goes on to Nest's handler,
 * so refusals are rendered, logged and documented as before; the route keeps its Fastify hooks, its family and
 * its place in the OpenAPI document and the route table.
 *
 * Built with the module, before app.init() registers the routes.
 */
@Injectable()
export class TokenCheckRoute {
  constructor(adapterHost: HttpAdapterHost, guard: AccessTokenGuard) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onRoute', (route) => {
      if (route.url !== TOKEN_CHECK_URL || (route.method !== 'GET' && route.method !== 'HEAD')) return;
      route.handler = fastTokenCheckHandler(guard, route.handler);
    });
  }
}

function fastTokenCheckHandler(guard: AccessTokenGuard, nest: RouteHandlerMethod): RouteHandlerMethod {
  return function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const principal = guard.authenticate(request.headers.authorization);
    if (!principal) return nest.call(this, request, reply);
    // As the guard leaves it, for the hooks that run after the answer.
    request.principal = principal;
    void reply.code(204).send();
    return undefined;
  };
}
