import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateSigningKeyPair, KeyPairAlg, PrivateKeyCipher, privateKeyPem } from './key-pair';

const SECRET = Buffer.from('key-pair-spec-secret-key-pair-spec-secret-0123');
const DIGEST: Record<KeyPairAlg, string> = { RS256: 'sha256', RS512: 'sha512', ES256: 'sha256' };

describe('signing key pairs', () => {
  for (const alg of ['RS256', 'RS512', 'ES256'] as const) {
    it(`${alg}: the public JWK verifies what the private key signs, and carries kid, alg and use only with public parts`, async () => {
      const pair = await generateSigningKeyPair(alg);
      assert.match(pair.kid, /^[0-9a-f-]{36}$/);
      assert.equal(pair.publicJwk.kid, pair.kid);
      assert.equal(pair.publicJwk.alg, alg);
      assert.equal(pair.publicJwk.use, 'sig');
      assert.equal(pair.publicJwk.kty, alg === 'ES256' ? 'EC' : 'RSA');
      assert.equal(pair.publicJwk.d, undefined, 'no private part');
      const data = Buffer.from('payload');
      const signature = sign(DIGEST[alg], data, pair.privateKey);
      assert.ok(verify(DIGEST[alg], data, createPublicKey({ key: pair.publicJwk, format: 'jwk' }), signature));
    });
  }

  it('takes the kid it is given', async () => {
    assert.equal((await generateSigningKeyPair('ES256', 'gateway-1')).publicJwk.kid, 'gateway-1');
  });
});

describe('PrivateKeyCipher', () => {
  it('round-trips a private key PEM, never storing it in clear and never the same way twice', async () => {
    const pem = privateKeyPem((await generateSigningKeyPair('ES256')).privateKey);
    const cipher = new PrivateKeyCipher(SECRET);
    const stored = cipher.encrypt(pem);
    assert.ok(!stored.includes('PRIVATE KEY'));
    assert.notEqual(cipher.encrypt(pem), stored, 'a fresh iv each time');
    assert.equal(new PrivateKeyCipher(SECRET).decrypt(stored), pem);
    assert.equal(createPrivateKey(cipher.decrypt(stored)).asymmetricKeyType, 'ec');
  });

  it('reads what the key service stored before the move (iv.tag.body, key = sha256(secret))', () => {
    // Written by the former KeyService.encrypt under SECRET: keys already in databases stay readable.
    assert.equal(new PrivateKeyCipher(SECRET).decrypt('5McnU5kvL7ymSoVG.7bVLCXgNyjdLiIVxA_a6jQ.6z8OJtXBptWVFocwCL7JfXlffB-AzA'), 'stored before the move');
  });

  it('refuses another secret, an altered value and a malformed one', () => {
    const stored = new PrivateKeyCipher(SECRET).encrypt('-----BEGIN PRIVATE KEY-----');
    assert.throws(() => new PrivateKeyCipher(Buffer.from('another-secret-another-secret-another')).decrypt(stored));
    const [iv, tag, body] = stored.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    assert.throws(() => new PrivateKeyCipher(SECRET).decrypt([iv, tag, flipped.toString('base64url')].join('.')));
    assert.throws(() => new PrivateKeyCipher(SECRET).decrypt('not-encrypted'), /not an encrypted private key/);
    assert.throws(() => new PrivateKeyCipher(SECRET).decrypt(`${iv}.AAAA.${body}`), /bad iv or tag length/);
  });
});
