import { JwtService } from '@nestjs/jwt';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { JwtConfig } from './security.config';
import { TokenService } from './token.service';

const config = {
  alg: 'HS256',
  acceptHs256: true,
  secret: Buffer.from('unit-test-secret-unit-test-secret-0123456789'),
  issuer: 'iss-test',
  audience: 'aud-test',
  accessTtlSeconds: 900,
} as JwtConfig;
const service = new TokenService(new JwtService(), config);
const subject = { userId: 7, username: 'alice', sessionId: 'session-1', scopes: ['userMan', 'role'] };

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function forge(header: object, payload: object, secret = config.secret): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('TokenService', () => {
  it('signs tokens it verifies, with the documented claims', () => {
    const now = Date.UTC(2026, 0, 1);
    const token = service.signAccessToken(subject, now);
    const claims = service.verifyAccessToken(token, now + 1000);
    assert.ok(claims);
    assert.equal(claims.sub, '7');
    assert.equal(claims.sid, 'session-1');
    assert.equal(claims.iss, 'iss-test');
    assert.equal(claims.aud, 'aud-test');
    assert.equal(claims.exp - claims.iat, 900);
    assert.deepEqual(claims.scope, ['userMan', 'role']);
    assert.equal(claims.username, 'alice');
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  });

  it('refuses a token at and after its expiry', () => {
    const now = Date.UTC(2026, 0, 1);
    const token = service.signAccessToken(subject, now);
    assert.ok(service.verifyAccessToken(token, now + 899_000));
    assert.equal(service.verifyAccessToken(token, now + 900_000), undefined);
  });

  it('refuses a token whose payload was altered', () => {
    const token = service.signAccessToken(subject);
    const [header, , signature] = token.split('.');
    const altered = b64({ ...JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()), scope: ['keyMan'] });
    assert.equal(service.verifyAccessToken(`${header}.${altered}.${signature}`), undefined);
  });

  it('accepts another header spelling of HS256 but no other algorithm or key-fetching header', () => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { jti: 'j', iss: 'iss-test', aud: ['other', 'aud-test'], sub: '1', sid: 's', scope: [], username: 'u', iat, exp: iat + 60 };
    assert.ok(service.verifyAccessToken(forge({ typ: 'JWT', alg: 'HS256' }, payload)));
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256' }, payload)));
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS384' }, payload)), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'hs256' }, payload)), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256', typ: 'at+jwt+x' }, payload)), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256', jku: 'http://x' }, payload)), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256', crit: ['exp'] }, payload)), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, iat: iat + 3600 })), undefined, 'issued in the future');
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, aud: 'other' })), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, exp: String(iat + 60) })), undefined);
  });

  it('dates its tokens to the millisecond, in agreement with iat', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0, 789);
    const claims = service.verifyAccessToken(service.signAccessToken(subject, now), now);
    assert.equal(claims?.iat_ms, now);
    assert.equal(claims?.iat, Math.floor(now / 1000));
    const minted = service.signMintedToken({ id: 'm-1', subject: 'svc', audience: 'aud-test', scopes: [], expiresAt: Math.floor(now / 1000) + 60 }, now);
    assert.equal(service.verifyAccessToken(minted, now)?.iat_ms, now);
  });

  it('refuses an iat_ms that says another second than iat, or is not a number', () => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { jti: 'j2', iss: 'iss-test', aud: 'aud-test', sub: '1', sid: 's', scope: [], iat, exp: iat + 60 };
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, iat_ms: iat * 1000 + 999 })));
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, iat_ms: (iat - 1) * 1000 })), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, iat_ms: String(iat * 1000) })), undefined);
  });

  it('refuses a token before its nbf, with the leeway of iat', () => {
    const now = Date.now();
    const iat = Math.floor(now / 1000);
    const payload = { jti: 'j3', iss: 'iss-test', aud: 'aud-test', sub: '1', sid: 's', scope: [], iat, exp: iat + 7200 };
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, nbf: iat - 10 }), now));
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, nbf: iat + 60 }), now), 'within the leeway');
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, nbf: iat + 61 }), now), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, nbf: iat + 3600 }), now), undefined);
    assert.equal(service.verifyAccessToken(forge({ alg: 'HS256' }, { ...payload, nbf: String(iat) }), now), undefined);
  });

  it('refuses malformed tokens without throwing', () => {
    for (const token of ['', '.', '..', 'a.b', 'a.b.c.d', 'a..c', '.b.c', '💥.💥.💥', 'eyJ.eyJ.' + 'A'.repeat(43), 'x'.repeat(10_000)]) {
      assert.equal(service.verifyAccessToken(token), undefined, token.slice(0, 20));
    }
  });

  it('answers a token seen before from memory, until it expires', () => {
    const now = Date.now();
    const token = service.signAccessToken(subject, now);
    const verified = service.verifyAccessToken(token, now);
    assert.ok(verified);
    assert.equal(service.verifyAccessToken(token, now + 1000), verified, 'the same frozen claims, from the cache');
    assert.equal(service.verifyAccessToken(token, now + 900_000), undefined);
  });

  it('refuses alg none and, when only key pairs are accepted, HS256', () => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { jti: 'j4', iss: 'iss-test', aud: 'aud-test', sub: '1', sid: 's', scope: [], iat, exp: iat + 60 };
    assert.equal(service.verifyAccessToken(`${b64({ alg: 'none' })}.${b64(payload)}.`), undefined);
    const pairsOnly = new TokenService(new JwtService(), { ...config, alg: 'RS256', acceptHs256: false });
    assert.equal(pairsOnly.verifyAccessToken(forge({ alg: 'HS256' }, payload)), undefined);
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256' }, payload)));
  });

  it('refuses a token missing any of iss, aud, sub, jti, exp, iat, sid or scope', () => {
    const iat = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { jti: 'j5', iss: 'iss-test', aud: 'aud-test', sub: '1', sid: 's', scope: [], iat, exp: iat + 60 };
    assert.ok(service.verifyAccessToken(forge({ alg: 'HS256', typ: 'JWT' }, payload)));
    for (const claim of Object.keys(payload)) {
      const { [claim]: _dropped, ...rest } = payload;
      assert.equal(service.verifyAccessToken(forge({ alg: 'HS256', typ: 'JWT' }, rest)), undefined, claim);
    }
  });
});
