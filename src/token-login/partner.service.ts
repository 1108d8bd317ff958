import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, IsNull, Not } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/paging';
import { formatTime } from '../common/time';
import { isDuplicateKey } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { PrivateKeyCipher } from '../security/key-pair';
import { JwtConfig, jwtConfig } from '../security/security.config';
import { CreatePartnerDto, PartnerDto, UpdatePartnerDto } from './dto/partner.dto';
import { DEFAULT_MAX_TOKEN_AGE_SECONDS, PartnerAlgorithm, SsoPartner } from './entities/sso-partner.entity';
import { checkLandingUrl, checkPartnerSecret, newPartnerSecret, partnerPublicKeyPem } from './partner-keys';
import type { PartnerKey } from './partner-token';

const partnerNotFound = () => new AppException('error.ssoPartnerNotFound');

/** A partner's key as its request sets it: encrypted secret or public key, and the secret to show once if one was generated. */
interface KeyChange {
  encryptedSecret: string | null;
  publicKey: string | null;
  generatedSecret: string | null;
}

/** A partner able to sign users in, with its verification key. */
export interface ActivePartner {
  id: number;
  enabled: boolean;
  landingUrl: string;
  maxTokenAge: number;
  key: PartnerKey;
}

/** The partners (scope `sso`) and the keys their tokens are verified with. */
@Injectable()
export class PartnerService {
  /** HS256 secrets are needed to verify, so they are kept encrypted (as the signing keys are), not hashed. */
  private readonly cipher: PrivateKeyCipher;

  constructor(
    private readonly transactions: Transactions,
    @Inject(jwtConfig.token) jwt: JwtConfig,
  ) {
    this.cipher = new PrivateKeyCipher(jwt.keyEncryptionSecret);
  }

  async list(): Promise<Page<PartnerDto>> {
    const partners = await this.transactions.reader.getRepository(SsoPartner).find({ order: { id: 'ASC' } });
    return { total: partners.length, list: partners.map((partner) => toPartnerDto(partner)) };
  }

  async get(id: number): Promise<PartnerDto> {
    return toPartnerDto(await this.find(id));
  }

  async create(callerId: number | null, input: CreatePartnerDto): Promise<PartnerDto> {
    const key = this.keyFor(input.algorithm, input);
    const landingUrl = checkLandingUrl(input.landingUrl);
    const id = await this.write(async (manager) => {
      if (input.isDefault) await unmarkDefault(manager);
      const repository = manager.getRepository(SsoPartner);
      const created = await repository.save(
        repository.create({
          name: input.name,
          issuer: input.issuer ?? null,
          algorithm: input.algorithm,
          encryptedSecret: key.encryptedSecret,
          publicKey: key.publicKey,
          landingUrl,
          maxTokenAge: input.maxTokenAge ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
          enabled: input.enabled ?? true,
          isDefault: input.isDefault ? true : null,
          remark: input.remark ?? null,
          createBy: callerId,
          updateBy: callerId,
        }),
      );
      return created.id;
    });
    return toPartnerDto(await this.find(id), key.generatedSecret);
  }

  async update(callerId: number | null, id: number, input: UpdatePartnerDto): Promise<PartnerDto> {
    const landingUrl = input.landingUrl === undefined ? undefined : checkLandingUrl(input.landingUrl);
    let generatedSecret: string | null = null;
    await this.write(async (manager) => {
      const repository = manager.getRepository(SsoPartner);
      const partner = await repository.findOneBy({ id });
      if (!partner) throw partnerNotFound();
      const algorithm = input.algorithm ?? partner.algorithm;
      // A new algorithm needs a key of its kind; a key alone replaces the current one of the same kind.
      if (input.algorithm !== undefined && input.algorithm !== partner.algorithm) {
        const key = this.keyFor(algorithm, input);
        Object.assign(partner, { algorithm, encryptedSecret: key.encryptedSecret, publicKey: key.publicKey });
        generatedSecret = key.generatedSecret;
      } else if (input.secret !== undefined || input.publicKey !== undefined || input.regenerateSecret) {
        const key = this.keyFor(algorithm, input);
        Object.assign(partner, { encryptedSecret: key.encryptedSecret, publicKey: key.publicKey });
        generatedSecret = key.generatedSecret;
      }
      if (input.name !== undefined) partner.name = input.name;
      if (input.issuer !== undefined) partner.issuer = input.issuer;
      if (landingUrl !== undefined) partner.landingUrl = landingUrl;
      if (input.maxTokenAge !== undefined) partner.maxTokenAge = input.maxTokenAge;
      if (input.enabled !== undefined) partner.enabled = input.enabled;
      if (input.remark !== undefined) partner.remark = input.remark;
      if (input.isDefault === true && !partner.isDefault) await unmarkDefault(manager);
      if (input.isDefault !== undefined) partner.isDefault = input.isDefault ? true : null;
      partner.updateBy = callerId;
      // The secret column was not read (select: false): left undefined, save() leaves it as it is.
      await repository.save(partner);
    });
    return toPartnerDto(await this.find(id), generatedSecret);
  }

  async remove(id: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      const result = await manager.getRepository(SsoPartner).delete({ id });
      if (result.affected !== 1) throw partnerNotFound();
    });
  }

  /** The partner that takes tokens of this issuer, or without one the default partner; null when none does. */
  async forIssuer(issuer: string | undefined): Promise<ActivePartner | null> {
    const partner = await this.transactions.reader
      .getRepository(SsoPartner)
      .createQueryBuilder('partner')
      .addSelect('partner.encryptedSecret')
      .where(issuer === undefined ? 'partner.isDefault IS NOT NULL' : 'partner.issuer = :issuer', { issuer })
      .getOne();
    // MySQL compares without regard to case or trailing spaces; an issuer is matched exactly.
    if (!partner || (issuer !== undefined && partner.issuer !== issuer)) return null;
    return {
      id: partner.id,
      enabled: partner.enabled,
      landingUrl: partner.landingUrl,
      maxTokenAge: partner.maxTokenAge,
      key:
        partner.algorithm === 'HS256'
          ? { algorithm: 'HS256', key: Buffer.from(this.cipher.decrypt(partner.encryptedSecret ?? ''), 'utf8') }
          : { algorithm: partner.algorithm, key: partner.publicKey ?? '' },
    };
  }

  private async find(id: number): Promise<SsoPartner> {
    const partner = await this.transactions.reader.getRepository(SsoPartner).findOneBy({ id });
    if (!partner) throw partnerNotFound();
    return partner;
  }

  /** The key columns for this algorithm from the request: a secret (given or generated) for HS256, a public key otherwise, never both. */
  private keyFor(algorithm: PartnerAlgorithm, input: { secret?: string; publicKey?: unknown; regenerateSecret?: boolean }): KeyChange {
    if (algorithm === 'HS256') {
      if (input.publicKey !== undefined || (input.secret !== undefined && input.regenerateSecret)) throw new AppException('error.ssoKeyForAlgorithm');
      const generatedSecret = input.secret === undefined ? newPartnerSecret() : null;
      const secret = input.secret === undefined ? generatedSecret! : checkPartnerSecret(input.secret);
      return { encryptedSecret: this.cipher.encrypt(secret), publicKey: null, generatedSecret };
    }
    if (input.publicKey === undefined || input.secret !== undefined || input.regenerateSecret) throw new AppException('error.ssoKeyForAlgorithm');
    return { encryptedSecret: null, publicKey: partnerPublicKeyPem(algorithm, input.publicKey), generatedSecret: null };
  }

  /** A taken issuer is a 409 of its own; two requests marking a default at once, a plain conflict. */
  private async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.transactions.run(work);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const text = String((error as { driverError?: { message?: string } }).driverError?.message ?? (error as Error).message);
      throw new AppException(text.includes('uq_sso_partner_issuer') || text.endsWith('sso_partner.issuer') ? 'error.ssoIssuerTaken' : 'error.conflict');
    }
  }
}

/** The previous default partner stops being one, within the transaction that marks the next. */
async function unmarkDefault(manager: EntityManager): Promise<void> {
  await manager.getRepository(SsoPartner).update({ isDefault: Not(IsNull()) }, { isDefault: null });
}

export function toPartnerDto(partner: SsoPartner, generatedSecret: string | null = null): PartnerDto {
  return {
    id: partner.id,
    name: partner.name,
    issuer: partner.issuer,
    algorithm: partner.algorithm,
    secret: generatedSecret,
    publicKey: partner.publicKey,
    landingUrl: partner.landingUrl,
    maxTokenAge: partner.maxTokenAge,
    enabled: partner.enabled,
    isDefault: partner.isDefault === true,
    createTime: formatTime(partner.createTime),
    updateTime: formatTime(partner.updateTime),
    remark: partner.remark ?? '',
  };
}
