import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { idFromText } from '../common/parse-id.pipe';
import { TicketJwksService } from './ticket-jwks.service';

/** The route TicketController.jwksOf declares (and documents): Fastify serves its answers directly. */
export const JWKS_URL = '/v1/auth/jwks';
const CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * GET /v1/auth/jwks is what every gateway polls, so its answers skip Nest's pipeline (execution context, the
 * global guard — the route is public —, the response controller): as Nest registers the route, its Fastify
 * handler is wrapped by one that answers a valid gatewayId straight from memory. Anything else (a missing or
 * malformed id) goes on to Nest's handler, so refusals are rendered, logged and documented as before; the route
 * keeps its Fastify hooks, its family and its place in the OpenAPI document and the route table.
 *
 * Built with the module, before app.init() registers the routes.
 */
@Injectable()
export class TicketJwksRoute {
  constructor(adapterHost: HttpAdapterHost, jwks: TicketJwksService) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onRoute', (route) => {
      if (route.url !== JWKS_URL || (route.method !== 'GET' && route.method !== 'HEAD')) return;
      route.handler = fastJwksHandler(jwks, route.handler);
    });
  }
}

function fastJwksHandler(jwks: TicketJwksService, nest: RouteHandlerMethod): RouteHandlerMethod {
  return function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const gatewayId = (request.query as { gatewayId?: unknown }).gatewayId;
    const id = typeof gatewayId === 'string' ? idFromText(gatewayId) : undefined;
    if (id === undefined) return nest.call(this, request, reply);
    void reply.header('cache-control', jwks.cacheControl).type(CONTENT_TYPE).send(jwks.answer(id));
    return undefined;
  };
}
