import {
  createCipheriv,
  createDecipheriv,
  createHash,
  generateKeyPair as generateNodeKeyPair,
  JsonWebKey,
  KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { promisify } from 'node:util';

export type KeyPairAlg = 'RS256' | 'RS512' | 'ES256';

/** The public half as a JWKS entry: it names its kid and algorithm, and is for signatures only. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: KeyPairAlg;
  use: 'sig';
}

export interface SigningKeyPair {
  kid: string;
  alg: KeyPairAlg;
  publicKey: KeyObject;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

const generate = promisify(generateNodeKeyPair);

/** A fresh signing key pair; the kid is random unless given. */
export async function generateSigningKeyPair(alg: KeyPairAlg, kid: string = randomUUID()): Promise<SigningKeyPair> {
  const { publicKey, privateKey } = alg === 'ES256' ? await generate('ec', { namedCurve: 'P-256' }) : await generate('rsa', { modulusLength: 2048 });
  return { kid, alg, publicKey, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

/** PKCS#8 PEM, the form a private key is stored in (encrypted). */
export function privateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/**
 * Encrypts private keys at rest with AES-256-GCM under a key derived from a
 * secret: `iv.tag.ciphertext`, each base64url. A wrong secret or an altered
 * value fails to decrypt instead of yielding a wrong key.
 */
export class PrivateKeyCipher {
  private readonly key: Buffer;

  constructor(secret: Buffer | string) {
    this.key = createHash('sha256').update(secret).digest();
  }

  encrypt(pem: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
  }

  decrypt(stored: string): string {
    const parts = stored.split('.');
    if (parts.length !== 3) throw new Error('not an encrypted private key (expected iv.tag.ciphertext)');
    const [iv, tag, body] = parts.map((part) => Buffer.from(part, 'base64url'));
    if (iv.length !== 12 || tag.length !== 16) throw new Error('not an encrypted private key (bad iv or tag length)');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
