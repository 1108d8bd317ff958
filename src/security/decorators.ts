import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';
import type { BuiltInScope } from './scopes';

export const IS_PUBLIC = 'security:public';
export const REQUIRED_SCOPES = 'security:scopes';
export const BEARER_SCHEME = 'bearer';

const unauthorized = ApiUnauthorizedResponse({
  description: 'No access token, or one that is invalid, expired or revoked.',
  schema: { example: { code: 401, message: 'Invalid access token.', msg: 'Invalid access token.', data: null } },
});

/** The only way out of the global guard: the route needs no access token. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension('x-public', true));

/**
 * The route needs a valid access token whose `scope` claim holds every one of
 * these (none: any logged-in caller). Also writes the requirement into the OpenAPI document.
 */
export const Scopes = (...scopes: BuiltInScope[]) =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension('x-required-scopes', scopes),
    unauthorized,
    ...(scopes.length > 0
      ? [
          ApiForbiddenResponse({
            description: `The token lacks a scope: ${scopes.join(', ')}.`,
            schema: { example: { code: 403, message: '权限不足', msg: '权限不足', data: null } },
          }),
        ]
      : []),
  );

/** The verified caller of an authenticated route. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToHttp().getRequest<FastifyRequest>().principal;
});
