import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJscode2SessionAnswer } from './jscode2session';

const OPENID = 'oGZUI0egBJY1zhBYw2KhdUfwVJJE';
const UNIONID = 'oXv6j5Jq2wTzYc8mQ1rL0aBdEfGh';

describe('readJscode2SessionAnswer', () => {
  it('reads the identity of a success, dropping the session_key', () => {
    assert.deepEqual(readJscode2SessionAnswer(JSON.stringify({ openid: OPENID, session_key: 'tiihtNczf5v6AKRyjwEUhQ==' })), {
      kind: 'identity',
      openid: OPENID,
    });
    assert.deepEqual(readJscode2SessionAnswer(JSON.stringify({ session_key: 'x', unionid: UNIONID, openid: OPENID, errcode: 0, errmsg: 'ok' })), {
      kind: 'identity',
      openid: OPENID,
      unionid: UNIONID,
    });
    assert.deepEqual(readJscode2SessionAnswer(JSON.stringify({ openid: OPENID, unionid: '' })), { kind: 'identity', openid: OPENID });
  });

  it('reads a refusal by its errcode', () => {
    assert.deepEqual(readJscode2SessionAnswer('{"errcode":40029,"errmsg":"invalid code, rid: 6523c9d2-1f3d0b1a"}'), { kind: 'refused', errcode: 40029 });
    assert.deepEqual(readJscode2SessionAnswer('{"errcode":-1,"errmsg":"system error"}'), { kind: 'refused', errcode: -1 });
    assert.deepEqual(readJscode2SessionAnswer(JSON.stringify({ errcode: 40163, openid: OPENID })), { kind: 'refused', errcode: 40163 }, 'an errcode wins');
  });

  it('calls anything else garbage', () => {
    for (const text of [
      '',
      'upstream error',
      '<html></html>',
      'null',
      '[]',
      '"openid"',
      '{}',
      '{"session_key":"x"}',
      '{"openid":42}',
      '{"openid":""}',
      `{"openid":"${'o'.repeat(129)}"}`,
      '{"openid":"o<script>"}',
      `{"openid":"${OPENID}","unionid":7}`,
      `{"openid":"${OPENID}","unionid":"a b"}`,
      '{"errcode":"40029"}',
      '{"errcode":1.5}',
    ]) {
      assert.equal(readJscode2SessionAnswer(text).kind, 'garbage', text);
    }
  });
});
