import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { newRequestId, requestIdOf } from './request-id';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const withHeader = (value?: string | string[]) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;

describe('request ids', () => {
  it('are UUID-shaped and never repeat within a process', () => {
    const ids = Array.from({ length: 1000 }, newRequestId);
    assert.ok(ids.every((id) => UUID_SHAPE.test(id)));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keep a sane X-Request-Id of the caller and replace anything else', () => {
    assert.equal(requestIdOf(withHeader('abc-123')), 'abc-123');
    assert.match(requestIdOf(withHeader('bad id; drop table')), UUID_SHAPE);
    assert.match(requestIdOf(withHeader(['a', 'b'])), UUID_SHAPE);
    assert.match(requestIdOf(withHeader('x'.repeat(65))), UUID_SHAPE);
    assert.match(requestIdOf(withHeader()), UUID_SHAPE);
  });
});
