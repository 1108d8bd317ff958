import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { ENVELOPE_FAMILY } from '../common/envelope';
import { Lang, preferredLanguage } from '../common/messages';
import { LIVE } from './health.controller';

/** The route HealthController.live declares (and documents): Fastify answers it directly. */
export const LIVENESS_URL = '/health/live';
const CONTENT_TYPE = 'application/json; charset=utf-8';

/** The answer of GET /health/live in each language, as the envelope family renders HealthController.live's Reply. */
export function livenessBodies(): Record<Lang, string> {
  const render = (lang: Lang) => JSON.stringify(ENVELOPE_FAMILY.renderer.success(200, 'health.ok', LIVE, lang));
  return { zh: render('zh'), en: render('en') };
}

/**
 * GET /health/live is polled by orchestrators as often as they like, so it costs what a bare Fastify route
 * costs: as Nest registers the route, its Fastify handler is replaced by one that sends the envelope rendered
 * once at start (it never changes; only the language varies). The route keeps its Fastify hooks, its family
 * and its place in the OpenAPI document and the route table; Nest's handler returns the same answer.
 *
 * Built with the module, before app.init() registers the routes.
 */
@Injectable()
export class HealthLiveRoute {
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    const bodies = livenessBodies();
    fastify.addHook('onRoute', (route) => {
      if (route.url !== LIVENESS_URL || (route.method !== 'GET' && route.method !== 'HEAD')) return;
      route.handler = fastLivenessHandler(bodies);
    });
  }
}

function fastLivenessHandler(bodies: Record<Lang, string>): RouteHandlerMethod {
  return function (request: FastifyRequest, reply: FastifyReply) {
    void reply.type(CONTENT_TYPE).header('cache-control', 'no-store').send(bodies[preferredLanguage(request.headers['accept-language'])]);
    return undefined;
  };
}
