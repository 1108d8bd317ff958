import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { PasswordConfig, passwordConfig } from './security.config';

/** bcrypt reads only this many bytes; longer passwords are refused rather than silently cut. */
const BCRYPT_MAX_BYTES = 72;

export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
}

@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash!: Promise<string>;

  constructor(@Inject(passwordConfig.token) private readonly config: PasswordConfig) {}

  onModuleInit(): void {
    // Compared against when the user does not exist, so that answers take as long as for a wrong password.
    this.dummyHash = bcrypt.hash('dummy-password-for-timing', this.config.bcryptRounds);
  }

  hash(password: string): Promise<string> {
    if (!fitsBcrypt(password)) throw new RangeError('password exceeds 72 bytes');
    return bcrypt.hash(password, this.config.bcryptRounds);
  }

  /** False for a wrong password, a password bcrypt cannot take, or no stored hash (after a dummy compare). */
  async verify(password: string, storedHash: string | undefined): Promise<boolean> {
    if (!storedHash || !fitsBcrypt(password)) {
      await bcrypt.compare(password.slice(0, BCRYPT_MAX_BYTES), await this.dummyHash);
      return false;
    }
    return bcrypt.compare(password, storedHash);
  }

  /** The stored hash was made with fewer rounds than are configured now. */
  needsRehash(storedHash: string): boolean {
    try {
      return bcrypt.getRounds(storedHash) < this.config.bcryptRounds;
    } catch {
      return false;
    }
  }
}
