import { applyDecorators, CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, from, Observable, switchMap, tap, throwError } from 'rxjs';
import { AppException } from '../common/app.exception';
import type { AddressRuleName } from './limits.config';
import { limitKey, Limits } from './limits';

interface AddressLimitMeta {
  rule: AddressRuleName;
  /**
   * 'failures': a point is taken before the handler and comes back when it answers without an error (a burst
   * gets no more checks than the limit: for checks that can be guessed, such as a password). 'refusals': only
   * refusals are counted, after the fact, and a success costs no store access (for checks that cannot be
   * guessed on hot routes: refresh tokens, tickets). 'all': every request.
   */
  counts: 'failures' | 'refusals' | 'all';
  /** Only requests this says yes to are counted (PUT /user/{uid}: those that check a password). */
  applies?: (request: FastifyRequest) => boolean;
}

const ADDRESS_LIMIT = Symbol('addressLimit');

/**
 * Counts this route's requests (or only its failures) per client address, as TRUST_PROXY defines it, in
 * the shared store: past the rule's limit, 429 in the route's family envelope with Retry-After. The point
 * is taken before the handler runs, so a burst gets no more checks than the limit.
 */
export const LimitedPerAddress = (rule: AddressRuleName, counts: AddressLimitMeta['counts'] = 'failures', applies?: AddressLimitMeta['applies']) =>
  applyDecorators(SetMetadata(ADDRESS_LIMIT, { rule, counts, applies } satisfies AddressLimitMeta), UseInterceptors(AddressLimitInterceptor));

@Injectable()
export class AddressLimitInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: Limits,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.getAllAndOverride<AddressLimitMeta | undefined>(ADDRESS_LIMIT, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!meta || (meta.applies && !meta.applies(request))) return next.handle();
    const limit = this.limits.address(meta.rule);
    const key = limitKey(request.ip);
    if (meta.counts === 'refusals') {
      limit.check(key);
      // A refusal is a 4xx, counted before it is answered (the next request sees it); a 503 (the database away)
      // says nothing about the caller.
      const refusal = (error: unknown) => {
        const status = error instanceof AppException ? error.status : error instanceof HttpException ? error.getStatus() : 500;
        return status >= 400 && status < 500;
      };
      return next
        .handle()
        .pipe(
          catchError((error: unknown) =>
            from(refusal(error) ? limit.refused(key).catch(() => undefined) : Promise.resolve()).pipe(switchMap(() => throwError(() => error))),
          ),
        );
    }
    return from(limit.take(key)).pipe(
      switchMap(() => next.handle()),
      tap({
        complete: () => {
          if (meta.counts === 'failures') void limit.giveBack(key).catch(() => undefined);
        },
      }),
    );
  }
}
