import assert from 'node:assert/strict';
import { createHmac, createSign, generateKeyPairSync, KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkFreshness, issuerOf, MAX_USER_TOKEN_LENGTH, parsePartnerToken, replayKey, subjectOf, verifyPartnerSignature } from './partner-token';
import { SsoRefusal, SsoRefusalReason } from './sso-refusal';

const SECRET = 'a-partner-secret-of-more-than-32-bytes!';
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function hs256(claims: object, secret: string | Buffer = SECRET, header: object = { alg: 'HS256' }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function signed(claims: object, alg: 'RS256' | 'ES256', privateKey: KeyObject): string {
  const input = `${b64({ alg })}.${b64(claims)}`;
  const signature = createSign('sha256')
    .update(input)
    .sign(alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function refusedWith(reason: SsoRefusalReason, check: () => unknown): void {
  assert.throws(check, (error: unknown) => error instanceof SsoRefusal && error.reason === reason);
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const documentClaims = () => ({ payload: { email: 'yuanchaozhao@qq.com' }, time: Date.now() });

describe('parsePartnerToken', () => {
  it('takes the document’s token apart', () => {
    const token = hs256(documentClaims());
    const parsed = parsePartnerToken(token);
    assert.deepEqual(parsed.header, { alg: 'HS256' });
    assert.equal((parsed.claims.payload as { email: string }).email, 'yuanchaozhao@qq.com');
    assert.equal(parsed.signingInput, token.slice(0, token.lastIndexOf('.')));
  });

  it('refuses a missing, repeated, oversized or malformed token as a broken request', () => {
    refusedWith('missing_token', () => parsePartnerToken(undefined));
    refusedWith('missing_token', () => parsePartnerToken(''));
    refusedWith('malformed', () => parsePartnerToken(['a.b.c', 'a.b.c']));
    refusedWith('token_too_long', () => parsePartnerToken('A'.repeat(MAX_USER_TOKEN_LENGTH + 1)));
    for (const token of [
      'a.b',
      'a.b.c.d',
      '!!!.@@@.###',
      `${b64({ alg: 'HS256' })}.${b64('not json')}.AAAA`,
      `${b64([1])}.${b64({})}.AAAA`,
      `${b64({ alg: 'HS256' })}..AAAA`,
    ]) {
      refusedWith('malformed', () => parsePartnerToken(token));
    }
    assert.equal(new SsoRefusal('malformed').status, 400);
    assert.equal(new SsoRefusal('bad_signature').status, 401);
  });

  it('refuses headers that point to or carry keys, or rules it does not know', () => {
    for (const extra of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/cert' },
      { jwk: { kty: 'oct', k: 'AAAA' } },
      { x5c: ['AAAA'] },
      { crit: ['exp'] },
    ]) {
      refusedWith('forbidden_header', () => parsePartnerToken(hs256(documentClaims(), SECRET, { alg: 'HS256', ...extra })));
    }
  });
});

describe('verifyPartnerSignature', () => {
  const hsKey = { algorithm: 'HS256' as const, key: Buffer.from(SECRET) };
  const check = (token: string, key: Parameters<typeof verifyPartnerSignature>[2]) => verifyPartnerSignature(token, parsePartnerToken(token), key);

  it('accepts the partner’s own algorithm and key', () => {
    check(hs256(documentClaims()), hsKey);
    check(signed(documentClaims(), 'RS256', rsa.privateKey), { algorithm: 'RS256', key: rsaPem });
    check(signed(documentClaims(), 'ES256', ec.privateKey), { algorithm: 'ES256', key: ecPem });
  });

  it('refuses a tampered payload, a tampered signature and another key', () => {
    const token = hs256(documentClaims());
    const [header, , signature] = token.split('.');
    refusedWith('bad_signature', () => check(`${header}.${b64({ payload: { email: 'admin@example.com' }, time: Date.now() })}.${signature}`, hsKey));
    refusedWith('bad_signature', () => check(`${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`, hsKey));
    refusedWith('bad_signature', () => check(hs256(documentClaims(), 'another-secret-of-more-than-32-bytes!!'), hsKey));
    const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    refusedWith('bad_signature', () => check(signed(documentClaims(), 'RS256', otherRsa.privateKey), { algorithm: 'RS256', key: rsaPem }));
  });

  it('refuses alg none and any algorithm but the partner’s: no confusion of a public key with an HMAC secret', () => {
    refusedWith('malformed', () => check(`${b64({ alg: 'none' })}.${b64(documentClaims())}.`, hsKey));
    refusedWith('wrong_algorithm', () => check(`${b64({ alg: 'none' })}.${b64(documentClaims())}.AAAA`, hsKey));
    // An attacker who knows the RSA partner's public key signs HS256 with the PEM as the secret.
    refusedWith('wrong_algorithm', () => check(hs256(documentClaims(), rsaPem), { algorithm: 'RS256', key: rsaPem }));
    refusedWith('wrong_algorithm', () => check(hs256(documentClaims(), rsaPem, { alg: 'hs256' }), { algorithm: 'RS256', key: rsaPem }));
    refusedWith('wrong_algorithm', () => check(signed(documentClaims(), 'ES256', ec.privateKey), { algorithm: 'RS256', key: rsaPem }));
    refusedWith('wrong_algorithm', () => check(signed(documentClaims(), 'RS256', rsa.privateKey), hsKey));
  });
});

describe('checkFreshness', () => {
  const now = 1_765_000_000_000;
  const fresh = (claims: object, maxAge = 300) => checkFreshness(claims as Record<string, unknown>, now, maxAge);

  it('reads time in milliseconds or seconds, told apart by size', () => {
    fresh({ time: now });
    fresh({ time: now / 1000 });
    fresh({ time: String(now) });
    fresh({ time: now - 299_000 });
    fresh({ time: Math.floor(now / 1000) - 299 });
    fresh({ time: now + 59_000 });
    refusedWith('expired', () => fresh({ time: now - 301_000 }));
    refusedWith('expired', () => fresh({ time: Math.floor(now / 1000) - 301 }));
    refusedWith('future', () => fresh({ time: now + 61_000 }));
    refusedWith('future', () => fresh({ time: Math.floor(now / 1000) + 61 }));
    refusedWith('expired', () => fresh({ time: now - 60_000 }, 30));
  });

  it('takes iat and exp, alone or together', () => {
    const seconds = Math.floor(now / 1000);
    fresh({ iat: seconds });
    fresh({ iat: seconds - 10, exp: seconds + 60 });
    fresh({ exp: seconds + 300 });
    refusedWith('expired', () => fresh({ iat: seconds - 400 }));
    refusedWith('future', () => fresh({ iat: seconds + 120 }));
    refusedWith('expired', () => fresh({ iat: seconds - 10, exp: seconds - 1 }));
    // A token with exp alone may not live longer than maxTokenAge.
    refusedWith('future', () => fresh({ exp: seconds + 3600 }));
    refusedWith('future', () => fresh({ iat: seconds, nbf: seconds + 300 }));
    // Every time it carries must be fresh.
    refusedWith('expired', () => fresh({ time: now, iat: seconds - 1000 }));
  });

  it('refuses a token without a time, or with one that is not a number', () => {
    refusedWith('no_time', () => fresh({}));
    for (const time of ['soon', -1, null, { at: now }, '1e12', Number.POSITIVE_INFINITY]) refusedWith('bad_time', () => fresh({ time }));
    refusedWith('bad_time', () => fresh({ iat: 'yesterday' }));
  });
});

describe('subjectOf and issuerOf', () => {
  it('names the user by payload.email, else a top-level email or sub', () => {
    assert.equal(subjectOf({ payload: { email: ' 13800000000 ' }, email: 'x@example.com', sub: 's' }), '13800000000');
    assert.equal(subjectOf({ email: 'x@example.com', sub: 's' }), 'x@example.com');
    assert.equal(subjectOf({ sub: 'E1024' }), 'E1024');
    assert.equal(subjectOf({ payload: { email: 13800000000 } }), '13800000000');
    for (const claims of [{}, { payload: { email: '' } }, { payload: { email: { $ne: null } } }, { sub: 'x'.repeat(255) }, { payload: 'x@example.com' }]) {
      refusedWith('no_subject', () => subjectOf(claims));
    }
  });

  it('reads iss when it is a plain string', () => {
    assert.equal(issuerOf({}), undefined);
    assert.equal(issuerOf({ iss: 'oa' }), 'oa');
    refusedWith('malformed', () => issuerOf({ iss: ['oa'] }));
    refusedWith('malformed', () => issuerOf({ iss: '' }));
  });
});

describe('replayKey', () => {
  it('is the jti within the partner, else the signed content', () => {
    const withJti = (jti: string, time: number) => parsePartnerToken(hs256({ ...documentClaims(), jti, time }));
    assert.equal(replayKey(1, withJti('j-1', 1)), replayKey(1, withJti('j-1', 2)), 'one jti, one token');
    assert.notEqual(replayKey(1, withJti('j-1', 1)), replayKey(2, withJti('j-1', 1)), 'jti is per partner');
    const claims = documentClaims();
    assert.equal(replayKey(1, parsePartnerToken(hs256(claims))), replayKey(1, parsePartnerToken(hs256(claims))));
    assert.notEqual(replayKey(1, parsePartnerToken(hs256(claims))), replayKey(1, parsePartnerToken(hs256({ ...claims, time: claims.time + 1 }))));
  });

  it('does not change when an ECDSA signature is altered into another valid one', () => {
    const token = signed(documentClaims(), 'ES256', ec.privateKey);
    const [header, payload, signature] = token.split('.');
    const raw = Buffer.from(signature, 'base64url');
    // (r, s) and (r, n - s) are both valid signatures of the same content.
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([raw.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    const malleated = `${header}.${payload}.${flipped.toString('base64url')}`;
    verifyPartnerSignature(malleated, parsePartnerToken(malleated), { algorithm: 'ES256', key: ecPem });
    assert.equal(replayKey(1, parsePartnerToken(malleated)), replayKey(1, parsePartnerToken(token)));
  });
});
