import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppException } from '../common/app.exception';
import { checkLandingUrl, checkPartnerSecret, newPartnerSecret, partnerPublicKeyPem } from './partner-keys';

const refusedWith = (key: string, check: () => unknown) => assert.throws(check, (error: unknown) => error instanceof AppException && error.messageKey === key);

describe('partner keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('generates secrets of 64 characters and takes given ones of at least 32 bytes', () => {
    const secret = newPartnerSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{64}$/);
    assert.notEqual(newPartnerSecret(), secret);
    assert.equal(checkPartnerSecret('x'.repeat(32)), 'x'.repeat(32));
    assert.equal(checkPartnerSecret('密'.repeat(11)), '密'.repeat(11), '33 bytes of UTF-8');
    refusedWith('error.ssoSecretTooShort', () => checkPartnerSecret('x'.repeat(31)));
  });

  it('takes public keys as PEM, JWK or JWK text, answering SPKI PEM', () => {
    const spki = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.equal(partnerPublicKeyPem('RS256', spki), spki);
    assert.equal(partnerPublicKeyPem('RS256', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' })), spki);
    const jwk = ec.publicKey.export({ format: 'jwk' });
    const ecSpki = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.equal(partnerPublicKeyPem('ES256', jwk), ecSpki);
    assert.equal(partnerPublicKeyPem('ES256', JSON.stringify({ ...jwk, alg: 'ES256' })), ecSpki);
  });

  it('refuses private keys, keys of the wrong kind or size, and garbage', () => {
    const invalid = 'error.ssoPublicKeyInvalid';
    refusedWith(invalid, () => partnerPublicKeyPem('RS256', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })));
    refusedWith(invalid, () => partnerPublicKeyPem('ES256', ec.privateKey.export({ format: 'jwk' })));
    refusedWith(invalid, () => partnerPublicKeyPem('RS256', ec.publicKey.export({ type: 'spki', format: 'pem' })));
    refusedWith(invalid, () => partnerPublicKeyPem('ES256', rsa.publicKey.export({ type: 'spki', format: 'pem' })));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    refusedWith(invalid, () => partnerPublicKeyPem('RS256', small.publicKey.export({ type: 'spki', format: 'pem' })));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    refusedWith(invalid, () => partnerPublicKeyPem('ES256', p384.publicKey.export({ format: 'jwk' })));
    refusedWith(invalid, () => partnerPublicKeyPem('ES256', { ...ec.publicKey.export({ format: 'jwk' }), alg: 'RS256' }));
    for (const garbage of ['', 'not a key', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', '{"kty":"oct","k":"AAAA"}', '{', 42, null, ['a']]) {
      refusedWith(invalid, () => partnerPublicKeyPem('RS256', garbage));
    }
  });

  it('takes https landing URLs, and http only on this machine', () => {
    assert.equal(checkLandingUrl('https://console.example.com/sso/landing?tenant=1'), 'https://console.example.com/sso/landing?tenant=1');
    for (const local of ['http://localhost:3000/landing', 'http://127.0.0.1:8080/', 'http://[::1]/x', 'http://app.localhost/']) checkLandingUrl(local);
    for (const refused of [
      'http://console.example.com/landing',
      'http://10.0.0.1/landing',
      'javascript:alert(1)',
      'data:text/html,x',
      '//console.example.com/landing',
      '/landing',
      'https://user:pass@console.example.com/',
      'ftp://console.example.com/',
      'http://localhost.evil.example/',
      'https://console.example.com/\r\nSet-Cookie: x=y',
      'https://console.example.com/\tlanding',
    ]) {
      refusedWith('error.ssoLandingUrl', () => checkLandingUrl(refused));
    }
  });
});
