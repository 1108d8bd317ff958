import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
// eslint-disable-next-line no-restricted-imports -- the one exception, until the audit decorator's import moves out of common/
import '../audit/audited.decorator';
import { envelope } from './envelope';
import { classifyError } from './error-classifier';
import { message, preferredLanguage } from './messages';
import { localizeErrorData } from './validation-messages';

/** Renders an error in the envelope. Shared by the Nest filter and Fastify's own error handler. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const { status, messageKey, data, unexpected } = classifyError(error);
  if (unexpected) {
    logger.error({ msg: 'unexpected error', requestId: request.id, method: request.method, url: request.routeOptions?.url, err: error });
  } else if (status === 503) {
    logger.warn({ msg: 'database unavailable', requestId: request.id, err: (error as Error)?.message });
  }
  request.errorKey = messageKey;
  const lang = preferredLanguage(request.headers['accept-language']);
  const body = envelope(status, message(messageKey, lang), unexpected ? { requestId: request.id } : localizeErrorData(data, lang));
  reply.header('x-request-id', request.id);
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  if (status === 503) reply.header('retry-after', '5');
  const retryAfter = status === 429 ? (data as { retryAfter?: unknown } | null)?.retryAfter : undefined;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  void reply.status(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}
