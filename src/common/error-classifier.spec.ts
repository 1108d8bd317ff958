import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryFailedError } from 'typeorm';
import { AppException } from './app.exception';
import { classifyError } from './error-classifier';

describe('classifyError', () => {
  it('keeps the status and message of our own exceptions', () => {
    assert.deepEqual(classifyError(new AppException('error.conflict', { field: 'x' })), {
      status: 409,
      messageKey: 'error.conflict',
      data: { field: 'x' },
      unexpected: false,
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    assert.equal(classifyError(new NotFoundException()).status, 404);
    assert.equal(classifyError(new BadRequestException()).messageKey, 'error.validation');
  });

  it('maps Fastify body errors wrapped by Nest', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    assert.equal(classifyError(new HttpException('too large', 413, { cause: tooLarge })).messageKey, 'error.payloadTooLarge');
    const badJson = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    assert.equal(classifyError(new HttpException('bad', 400, { cause: badJson })).messageKey, 'error.malformedJson');
  });

  it('maps the router refusing a URL', () => {
    const badUrl = Object.assign(new Error("'/user/%ff' is not a valid url component"), { statusCode: 400, code: 'FST_ERR_BAD_URL' });
    assert.deepEqual(classifyError(badUrl), { status: 400, messageKey: 'error.badUrl', data: null, unexpected: false });
    const longParam = Object.assign(new Error('too long'), { statusCode: 414, code: 'FST_ERR_MAX_PARAM_LENGTH' });
    assert.deepEqual(classifyError(longParam), { status: 414, messageKey: 'error.uriTooLong', data: null, unexpected: false });
  });

  it('answers 503 when the database cannot be reached', () => {
    const refused = new QueryFailedError('SELECT 1', [], Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }));
    assert.equal(classifyError(refused).status, 503);
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'PROTOCOL_CONNECTION_LOST' })).status, 503);
  });

  it('answers 503 when the database is too slow: a query timed out, no pooled connection in time, the wait queue full', () => {
    const timedOut = new QueryFailedError('SELECT 1', [], Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }));
    assert.equal(classifyError(timedOut).status, 503);
    assert.equal(classifyError(Object.assign(new Error('no database connection became free within 2000 ms'), { code: 'POOL_ACQUIRE_TIMEOUT' })).status, 503);
    assert.equal(classifyError(new Error('Queue limit reached.')).status, 503);
  });

  it('treats everything else as an unexpected 500, including query errors', () => {
    const syntax = new QueryFailedError('SELEC 1', [], Object.assign(new Error('syntax'), { code: 'ER_PARSE_ERROR' }));
    assert.deepEqual(classifyError(syntax), { status: 500, messageKey: 'error.internal', data: null, unexpected: true });
    assert.equal(classifyError(new Error('boom')).status, 500);
    assert.equal(classifyError('a string').status, 500);
    assert.equal(classifyError(new HttpException('upstream', 502)).status, 500);
  });
});
