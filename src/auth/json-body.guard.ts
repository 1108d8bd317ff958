import { CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception';

function hasBody(request: FastifyRequest): boolean {
  return Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Login CSRF: any web page can make a browser post a form (urlencoded, multipart) or text/plain to another
 * site without asking, but never an application/json body. So the session routes take a body only as JSON;
 * without a body (refresh and logout carry their tokens in the cookie and headers) they are unaffected.
 */
@Injectable()
class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const mediaType = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (hasBody(request) && mediaType !== 'application/json') throw new AppException('error.unsupportedMediaType');
    return true;
  }
}

export const JsonBodyOnly = () => UseGuards(JsonBodyGuard);
