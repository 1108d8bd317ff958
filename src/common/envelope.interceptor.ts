import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { envelope, Reply } from './envelope';
import { message, preferredLanguage } from './messages';

/** Turns a controller's Reply into the envelope, in the language the client prefers. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!(value instanceof Reply)) return value;
        const request = context.switchToHttp().getRequest<FastifyRequest>();
        const status =
          (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ??
          (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
        const text = message(value.messageKey, preferredLanguage(request.headers['accept-language']));
        return envelope(status, text, value.data);
      }),
    );
  }
}
