import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { forbidden, invalidToken } from '../common/app.exception';
import { IS_PUBLIC, REQUIRED_SCOPES } from './decorators';
import type { Principal } from './principal';
import { RevocationService } from './revocation.service';
import { TokenService } from './token.service';

interface RouteAccess {
  isPublic: boolean;
  scopes: readonly string[];
}

/**
 * The global guard: every route needs a valid, unrevoked access token unless
 * marked @Public(), and the scopes named by @Scopes(). Everything it checks is
 * in memory.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  /** Route metadata does not change at run time; read it once per handler. */
  private readonly routeAccess = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.accessFor(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = this.authenticate(request.headers.authorization);
    if (!principal) throw invalidToken();
    for (const scope of access.scopes) {
      if (!principal.scope.includes(scope)) throw forbidden();
    }
    request.principal = principal;
    return true;
  }

  /** The principal of a bearer token that is valid and whose session is not revoked. */
  authenticate(authorization: string | undefined): Principal | undefined {
    const token = bearerToken(authorization);
    if (!token) return undefined;
    const principal = this.tokens.verifyAccessToken(token);
    if (!principal || this.revocations.isRevoked(principal)) return undefined;
    return principal;
  }

  private accessFor(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.routeAccess.get(handler);
    if (!access) {
      const targets = [handler, context.getClass()];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false,
        scopes: this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, targets) ?? [],
      };
      this.routeAccess.set(handler, access);
    }
    return access;
  }
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length < 8) return undefined;
  // The usual spelling first: no lower-cased copy of the scheme on every request.
  if (!authorization.startsWith('Bearer ') && authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
  return token.length > 0 ? token : undefined;
}
