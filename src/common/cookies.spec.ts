import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expiredCookie, readCookie, serializeCookie } from './cookies';

const REFRESH = { path: '/auth', httpOnly: true, secure: true, sameSite: 'Strict' } as const;

describe('cookies', () => {
  it('writes the refresh cookie as @fastify/cookie did', () => {
    assert.equal(
      serializeCookie('token', 'rLmWoVKQ4T74AMv-I7a-r6M9ZJNw1LzkgKwKquQ1NBw', { ...REFRESH, maxAgeSeconds: 1209600 }),
      'token=rLmWoVKQ4T74AMv-I7a-r6M9ZJNw1LzkgKwKquQ1NBw; Max-Age=1209600; Path=/auth; HttpOnly; Secure; SameSite=Strict',
    );
    assert.equal(serializeCookie('token', 'v', { ...REFRESH, secure: false }), 'token=v; Path=/auth; HttpOnly; SameSite=Strict');
    assert.equal(expiredCookie('token', REFRESH), 'token=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict');
  });

  it('percent-encodes what a cookie value cannot hold, and refuses a bad name', () => {
    assert.match(serializeCookie('token', 'a;b c', REFRESH), /^token=a%3Bb%20c;/);
    assert.throws(() => serializeCookie('to ken', 'v', REFRESH), TypeError);
  });

  it('reads the first cookie of a name, trimmed, unquoted and decoded', () => {
    assert.equal(readCookie('a=1; token=abc; b=2', 'token'), 'abc');
    assert.equal(readCookie('token=first;token=second', 'token'), 'first');
    assert.equal(readCookie('  token = "quoted" ', 'token'), 'quoted');
    assert.equal(readCookie('token=a%3Bb', 'token'), 'a;b');
    assert.equal(readCookie('token=%E0%A4%A', 'token'), '%E0%A4%A');
    assert.equal(readCookie('xtoken=1; tokens=2; token', 'token'), undefined);
    assert.equal(readCookie('token=', 'token'), '');
    assert.equal(readCookie(undefined, 'token'), undefined);
  });
});
