import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { createPrivateKey, createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Reader, Transactions } from '../database/transactions';
import { SigningKey } from './entities/signing-key.entity';
import { generateSigningKeyPair, PrivateKeyCipher, privateKeyPem, SigningKeyPair } from './key-pair';
import { JwtConfig, jwtConfig } from './security.config';

export type AsymmetricAlg = 'RS256' | 'ES256';

export interface LoadedKey {
  kid: string;
  alg: AsymmetricAlg;
  publicKey: KeyObject;
  jwk: JsonWebKey;
  activatesAt: number;
  /** Decrypted when the key first signs. */
  privateKey?: KeyObject;
  encryptedPrivateKey: string;
}

const RELOAD_EVERY_MS = 10_000;
const UNKNOWN_KID_RELOAD_MIN_MS = 1_000;

/**
 * The asymmetric signing keys (JWT_ALG RS256 or ES256): generated on first
 * start, stored with the private half encrypted, rotated on demand. Every
 * instance reloads them every ten seconds, and at once (at most once a
 * second) when a token names a kid it does not know.
 */
@Injectable()
export class KeyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeyService.name);
  private keys = new Map<string, LoadedKey>();
  /** Keys of the configured algorithm, newest first. */
  private candidates: LoadedKey[] = [];
  private lastReload = 0;
  private timer?: NodeJS.Timeout;
  private readonly cipher: PrivateKeyCipher;

  constructor(
    private readonly transactions: Transactions,
    @Inject(jwtConfig.token) private readonly config: JwtConfig,
  ) {
    this.cipher = new PrivateKeyCipher(config.keyEncryptionSecret);
  }

  get asymmetric(): boolean {
    return this.config.alg !== 'HS256';
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    if (this.asymmetric && this.candidates.length === 0) await this.createFirstKey();
    this.timer = setInterval(
      () => void this.reload().catch((error: Error) => this.logger.warn(`cannot reload signing keys: ${error.message}`)),
      RELOAD_EVERY_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The newest key whose activation time has come. */
  signingKey(now = Date.now()): LoadedKey | undefined {
    const key = this.candidates.find((candidate) => candidate.activatesAt <= now);
    if (key && !key.privateKey) key.privateKey = createPrivateKey(this.cipher.decrypt(key.encryptedPrivateKey));
    return key;
  }

  /** A key of ours by kid; an unknown kid makes the instance look for new keys, but never waits for it. */
  verificationKey(kid: string): LoadedKey | undefined {
    const key = this.keys.get(kid);
    if (!key && Date.now() - this.lastReload > UNKNOWN_KID_RELOAD_MIN_MS) {
      this.lastReload = Date.now();
      void this.reload().catch(() => undefined);
    }
    return key;
  }

  /** The public keys a verifier needs: every key whose tokens can still be valid. Read from the database, so every instance agrees. */
  async jwks(): Promise<{ keys: JsonWebKey[] }> {
    const rows = await this.liveKeys();
    return { keys: rows.map((row) => JSON.parse(row.publicJwk) as JsonWebKey) };
  }

  /**
   * A new key is published at once and starts signing after KEY_ACTIVATION_DELAY,
   * when every instance has loaded it; older keys keep verifying until their last token has expired.
   */
  async rotate(activationDelayMs = this.config.keyActivationDelaySeconds * 1000): Promise<{ kid: string; alg: AsymmetricAlg; activatesAt: string }> {
    if (!this.asymmetric) throw new AppException('error.noKeysToRotate');
    const key = await generateSigningKeyPair(this.config.alg as AsymmetricAlg);
    const activatesAt = await this.transactions.run((manager) => this.publish(manager, key, activationDelayMs));
    await this.reload();
    this.logger.log(`signing key ${key.kid} (${key.alg}) published; it signs from ${activatesAt.toISOString()}`);
    return { kid: key.kid, alg: key.alg as AsymmetricAlg, activatesAt: activatesAt.toISOString() };
  }

  /**
   * The first key of an empty database signs at once: no token exists that another instance must verify. Made
   * under a database lock: instances starting together on an empty database would each make one and sign with it
   * before the others had loaded it, and their tokens would be refused elsewhere until the next reload.
   */
  private async createFirstKey(): Promise<void> {
    const key = await generateSigningKeyPair(this.config.alg as AsymmetricAlg);
    const made = await this.transactions.exclusively('first-signing-key', async (manager) => {
      // Another instance may have made it while this one waited for the lock.
      if ((await this.liveKeys(manager)).some((row) => row.alg === this.config.alg)) return false;
      await this.publish(manager, key, 0);
      return true;
    });
    await this.reload();
    if (made) this.logger.log(`signing key ${key.kid} (${key.alg}) made; it signs now`);
  }

  /** Retires the keys in use (they sign until the new one activates) and stores the new one; answers when it activates. */
  private async publish(manager: EntityManager, key: SigningKeyPair, activationDelayMs: number): Promise<Date> {
    const now = new Date();
    const activatesAt = new Date(now.getTime() + activationDelayMs);
    const lastTokenLifetime = Math.max(this.config.accessTtlSeconds, this.config.mintMaxTtlSeconds) + 60;
    const repository = manager.getRepository(SigningKey);
    // The old key signs until the new one activates; its last token expires a token lifetime after that.
    await repository.update({ retiredAt: IsNull() }, { retiredAt: now, expiresAt: new Date(activatesAt.getTime() + lastTokenLifetime * 1000) });
    await repository.insert({
      kid: key.kid,
      alg: key.alg,
      publicJwk: JSON.stringify(key.publicJwk),
      privateKey: this.cipher.encrypt(privateKeyPem(key.privateKey)),
      createdAt: now,
      activatesAt,
      retiredAt: null,
      expiresAt: null,
    });
    return activatesAt;
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.liveKeys();
    const keys = new Map<string, LoadedKey>();
    for (const row of rows) {
      const known = this.keys.get(row.kid);
      const jwk = JSON.parse(row.publicJwk) as JsonWebKey;
      keys.set(row.kid, {
        kid: row.kid,
        alg: row.alg as AsymmetricAlg,
        publicKey: known?.publicKey ?? createPublicKey({ key: jwk, format: 'jwk' }),
        jwk,
        activatesAt: row.activatesAt.getTime(),
        privateKey: known?.privateKey,
        encryptedPrivateKey: row.privateKey,
      });
    }
    this.keys = keys;
    this.candidates = [...keys.values()].filter((key) => key.alg === this.config.alg).sort((a, b) => b.activatesAt - a.activatesAt);
  }

  private liveKeys(reader: Reader = this.transactions.reader): Promise<SigningKey[]> {
    return reader
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .where('k.expiresAt IS NULL OR k.expiresAt > :now', { now: new Date() })
      .orderBy('k.createdAt', 'ASC')
      .getMany();
  }
}
