import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RendererRegistry } from '../common/renderer-registry';
import type { AuditService } from './audit.service';
import type { AuditRoute } from './audited.decorator';

function actorOf(request: FastifyRequest): string | null {
  if (request.audit?.actor) return request.audit.actor;
  const principal = request.principal;
  return principal ? (principal.act?.sub ?? principal.sub) : null;
}

function keptBody(body: unknown, keep: string[] | undefined): Record<string, unknown> {
  if (!keep?.length || body === undefined || body === null) return {};
  if (keep.includes('*') && Array.isArray(body)) return { body: body.slice(0, 100) };
  if (typeof body !== 'object' || Array.isArray(body)) return {};
  const source = body as Record<string, unknown>;
  return Object.fromEntries(keep.filter((field) => field in source).map((field) => [field, source[field]]));
}

/**
 * After a route marked @Audited has answered, queue its audit entry; nothing
 * is added to the answer's time. The hook is attached to those routes only,
 * as they are registered, so other routes (the token check) do not run it at all.
 * At shutdown, the queue is written after the last request has been answered.
 */
export function registerAuditHook(fastify: FastifyInstance, audit: AuditService): void {
  const onResponse: onResponseAsyncHookHandler = async (request, reply) => {
    const route = (request.routeOptions.config as { audit?: AuditRoute }).audit;
    if (!route) return;
    const status = reply.statusCode;
    const action = typeof route.action === 'function' ? route.action(status, request.errorKey) : route.action;
    const params = request.params as Record<string, string> | undefined;
    const details = {
      method: request.method,
      route: request.routeOptions.url,
      status,
      ...(request.errorKey ? { error: request.errorKey } : {}),
      ...keptBody(request.body, route.keep),
      ...request.audit?.details,
    };
    const userAgent = request.headers['user-agent'];
    audit.record({
      time: new Date(),
      actor: actorOf(request)?.slice(0, 255) ?? null,
      action,
      target: (request.audit?.target ?? (route.target ? params?.[route.target] : undefined))?.slice(0, 255) ?? null,
      ip: request.ip,
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
      outcome: status < 400 ? 'success' : 'failure',
      details: JSON.stringify(details).slice(0, 4000),
    });
  };
  // Fastify runs onClose hooks once the server has closed and the last answer has gone out; the database
  // closes only after that, in Nest's shutdown hooks.
  fastify.addHook('onClose', () => audit.flushAtShutdown());
  fastify.addHook('onRoute', (route) => {
    if (!(route.config as { audit?: AuditRoute } | undefined)?.audit) return;
    const existing = route.onResponse ? ([] as unknown[]).concat(route.onResponse) : [];
    route.onResponse = [...existing, onResponse] as typeof route.onResponse;
  });
}

/**
 * Requests refused before any route saw them are audited too, for the families that ask for it
 * (a partner sign-in link over Node's header limit is still an attempt to sign in).
 */
export function auditRawRefusals(renderers: RendererRegistry, audit: AuditService): void {
  renderers.onRawRefusal(({ family, messageKey, ip, userAgent }) => {
    const entry = family.auditRawRefusal?.(messageKey);
    if (!entry) return;
    audit.record({
      time: new Date(),
      actor: null,
      action: entry.action,
      target: null,
      ip: ip ?? null,
      userAgent: userAgent?.slice(0, 512) ?? null,
      outcome: 'failure',
      details: JSON.stringify({ error: messageKey, ...entry.details }).slice(0, 4000),
    });
  });
}

type onResponseAsyncHookHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
