import { decodeJwt, decodeProtectedHeader } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSigningKeyPair, privateKeyPem } from '../security/key-pair';
import { maskedClientToken, maskedServerKey, signClientToken } from './client-token';

const claims = {
  issuer: 'identity-server',
  subject: 'JWTtest',
  gatewayId: 70,
  jti: '7f1d1e8e-5a4f-4f39-9d1f-3f9f7b1c2d3e',
  issuedAt: new Date('2030-01-01T00:00:00.900Z'),
  validStartTime: new Date('2030-01-01T00:00:00.900Z'),
  validEndTime: new Date('2030-02-01T15:59:59.999Z'),
};

describe('client tokens', () => {
  it('signs the claims to the same token every time, so it need not be stored', async () => {
    for (const alg of ['RS256', 'RS512'] as const) {
      const pair = await generateSigningKeyPair(alg);
      const pem = privateKeyPem(pair.privateKey);
      const token = signClientToken(pem, alg, pair.kid, claims);
      assert.equal(signClientToken(pem, alg, pair.kid, claims), token);
      assert.deepEqual(decodeProtectedHeader(token), { alg, typ: 'JWT', kid: pair.kid });
      assert.deepEqual(decodeJwt(token), {
        iss: 'identity-server',
        sub: 'JWTtest',
        aud: 'gateway:70',
        jti: claims.jti,
        iat: 1893456000,
        nbf: 1893456000,
        exp: 1896191999,
      });
      assert.equal(maskedClientToken(alg, pair.kid), `${token.slice(0, 16)}****`);
    }
  });

  it('masks as the document shows: the token’s first 16 characters, the kid’s last 4', () => {
    assert.equal(maskedClientToken('RS512', '9c901c45-0ef0-4bda-a4e2-8307012c1234'), 'eyJhbGciOiJSUzUx****');
    assert.equal(maskedServerKey('9c901c45-0ef0-4bda-a4e2-8307012c1234'), '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c****"}');
  });
});
