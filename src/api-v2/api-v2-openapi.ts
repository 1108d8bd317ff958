import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { ApiV2TokenDto } from './dto/api-v2.dto';

const messageBody = (message: string) => ({
  schema: { type: 'object', required: ['message'], properties: { message: { type: 'string' } }, example: { message } },
});

/** 422 `{message, errors}`: document 002's answer to invalid input. */
export const ApiV2Invalid = (field: string, text: string) =>
  ApiResponse({
    status: 422,
    description: 'Invalid input: `errors` names each field and what is wrong with it',
    schema: {
      type: 'object',
      required: ['message', 'errors'],
      properties: { message: { type: 'string' }, errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
      example: { message: '请求参数错误', errors: { [field]: [text] } },
    },
  });

export const ApiV2Error = (status: number, description: string, message: string) => ApiResponse({ status, description, ...messageBody(message) });

/** 200 with document 002's token body. */
export const ApiV2Tokens = () =>
  applyDecorators(ApiOkResponse({ type: ApiV2TokenDto, description: 'The one token to keep; lifetimes in minutes. Cache-Control: no-store' }));
