import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, HeadersObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

/** The schema of an envelope's `data`, and the DTO classes it refers to. */
export interface DataSchema {
  schema: SchemaObject | ReferenceObject;
  models: Type<unknown>[];
}

const isDataSchema = (data: Type<unknown> | DataSchema): data is DataSchema => typeof data !== 'function';
const asData = (data: Type<unknown> | DataSchema): DataSchema => (isDataSchema(data) ? data : { schema: { $ref: getSchemaPath(data) }, models: [data] });

/** Shapes of `data` besides a single DTO. */
export const EnvelopeData = {
  /** `data: null`, as deletions and other actions without a result answer. */
  none: { schema: { type: 'object', nullable: true, enum: [null], example: null }, models: [] } as DataSchema,
  string: (example?: string): DataSchema => ({ schema: { type: 'string', example }, models: [] }),
  /** `{total, list}` of a list route. */
  page: (item: Type<unknown>): DataSchema => ({
    schema: {
      type: 'object',
      required: ['total', 'list'],
      properties: { total: { type: 'integer', example: 1 }, list: { type: 'array', items: { $ref: getSchemaPath(item) } } },
    },
    models: [item],
  }),
  /** An object whose properties are DTOs or other shapes, all required. */
  object: (properties: Record<string, Type<unknown> | DataSchema>): DataSchema => {
    const parts = Object.entries(properties).map(([name, part]) => [name, asData(part)] as const);
    return {
      schema: { type: 'object', required: parts.map(([name]) => name), properties: Object.fromEntries(parts.map(([name, part]) => [name, part.schema])) },
      models: parts.flatMap(([, part]) => part.models),
    };
  },
};

/**
 * A success answer in the envelope `{code, message, msg, data}` with the real type of `data`,
 * so that generated clients know what they receive.
 */
export function ApiEnvelopeResponse(
  status: number,
  data: Type<unknown> | DataSchema,
  options: { description?: string; message?: string; example?: unknown; headers?: HeadersObject } = {},
): MethodDecorator {
  const { schema, models } = asData(data);
  const text = options.message ?? '操作成功';
  const envelope: SchemaObject = {
    type: 'object',
    required: ['code', 'message', 'msg', 'data'],
    properties: {
      code: { type: 'integer', example: status },
      message: { type: 'string', example: text, description: 'Chinese unless Accept-Language prefers English' },
      msg: { type: 'string', example: text, description: 'The same text as message' },
      data: schema,
    },
    ...(options.example === undefined ? {} : { example: { code: status, message: text, msg: text, data: options.example } }),
  };
  return applyDecorators(
    ...(models.length > 0 ? [ApiExtraModels(...models)] : []),
    ApiResponse({ status, description: options.description ?? text, headers: options.headers, schema: envelope }),
  );
}
