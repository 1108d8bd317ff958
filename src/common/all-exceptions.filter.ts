import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from './error-classifier';
import { MessageKey, preferredLanguage } from './messages';
import { renderProblem } from './renderer';
import type { RendererRegistry } from './renderer-registry';
import { API_SECURITY_HEADERS } from './security-headers';

declare module 'fastify' {
  interface FastifyRequest {
    /** The catalog key of the error the request was answered with: the audit log names it. */
    errorKey?: MessageKey;
  }
}

/**
 * Renders an error in the request's family, with the headers every family shares. Used by the Nest filter
 * and Fastify's own error handler.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger, renderers: RendererRegistry): void {
  const classified = classifyError(error);
  if (classified.unexpected) {
    logger.error({ msg: 'unexpected error', requestId: request.id, method: request.method, url: request.routeOptions?.url, err: error });
  } else if (classified.status === 503) {
    logger.warn({ msg: 'service unavailable', requestId: request.id, error: classified.messageKey, err: (error as Error)?.message });
  }
  request.errorKey = classified.messageKey;
  const renderer = renderers.forRequest(request);
  const lang = renderer.languageOf?.(request) ?? preferredLanguage(request.headers['accept-language']);
  const { status, body, contentType, headers } = renderProblem(renderer, classified, request.id, lang);
  // A request that matched no route (or failed before its hooks ran) has none of its route's helmet headers yet.
  if (!reply.hasHeader('x-frame-options')) reply.headers(API_SECURITY_HEADERS);
  if (headers) reply.headers(headers);
  reply.header('x-request-id', request.id);
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  if (status === 503) reply.header('retry-after', '5');
  const retryAfter = status === 429 ? (classified.data as { retryAfter?: unknown } | null)?.retryAfter : undefined;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  const encoding = renderer.encodingFor?.(request);
  void reply
    .status(status)
    .header('cache-control', 'no-store')
    .type(contentType ?? encoding?.contentType ?? 'application/json; charset=utf-8')
    .send(contentType === undefined && encoding ? encoding.encode(body) : body);
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly renderers: RendererRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger, this.renderers);
  }
}
