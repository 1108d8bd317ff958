import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProduces, ApiResponse, getSchemaPath, SchemaObject } from '@nestjs/swagger';
import type { DataSchema } from '../common/api-envelope';
import { Scopes } from '../security/decorators';

/** What each refusal of this family looks like in the documentation. */
const ERRORS: Record<number, { errorCode: string; message: string; description: string }> = {
  400: { errorCode: 'param_error', message: 'pageSize 必须是以下值之一：5, 10, 20', description: 'Bad input: what is wrong with which field' },
  401: { errorCode: 'unauthorized', message: 'Invalid access token.', description: 'No access token, or one that is invalid, expired or revoked' },
  403: { errorCode: 'ACCESS_FORBIDEN', message: '权限不足', description: 'The token lacks the scope ticket' },
  404: { errorCode: 'not_found', message: '凭证不存在', description: 'No such ticket' },
  409: { errorCode: 'conflict', message: '该网关已有同名凭证', description: 'The gateway has a ticket of that name' },
};

function errorResponse(status: number): MethodDecorator {
  const { errorCode, message, description } = ERRORS[status];
  return ApiResponse({
    status,
    description: `${description}. {code, errorCode, message}; XML too, as the success`,
    schema: {
      type: 'object',
      required: ['code', 'errorCode', 'message'],
      properties: {
        code: { type: 'integer', example: status },
        errorCode: { type: 'string', example: errorCode },
        message: { type: 'string', example: message },
      },
      example: { code: status, errorCode, message },
    },
  });
}

/** The refusals a ticket route can answer, in this family's shape. */
export const ApiTicketErrors = (...statuses: number[]) => applyDecorators(...statuses.map(errorResponse));

/** Scope `ticket`, its 401 and 403 documented in this family's shape rather than the envelope's. */
export const TicketScopes = () => applyDecorators(Scopes('ticket'), ApiTicketErrors(401, 403));

/**
 * A success of this family: `{code, data, message: "success"}`, in JSON, or in XML under
 * `<{Operation}Response>` with Accept: application/xml or ?format=xml.
 */
export function ApiTicketResponse(data: Type<unknown> | DataSchema, example: unknown): MethodDecorator {
  const { schema, models } = typeof data === 'function' ? { schema: { $ref: getSchemaPath(data) }, models: [data] } : data;
  const body: SchemaObject = {
    type: 'object',
    required: ['code', 'data', 'message'],
    properties: { code: { type: 'integer', example: 200 }, data: schema, message: { type: 'string', enum: ['success'], example: 'success' } },
    example: { code: 200, data: example, message: 'success' },
  };
  return applyDecorators(
    ApiProduces('application/json', 'application/xml'),
    ...(models.length > 0 ? [ApiExtraModels(...models)] : []),
    ApiResponse({ status: 200, description: 'success', schema: body }),
  );
}
