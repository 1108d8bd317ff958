import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull, LessThanOrEqual } from 'typeorm';
import { AppException } from '../common/app.exception';
import { containsPattern, LIKE_ESCAPE } from '../common/paging';
import { invalidInput } from '../common/validation';
import { conflictOnDuplicate } from '../database/db-errors';
import { Reader, Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { generateSigningKeyPair, PrivateKeyCipher, privateKeyPem, SigningKeyPair } from '../security/key-pair';
import { JwtConfig, jwtConfig } from '../security/security.config';
import { maskedClientToken, maskedServerKey, signClientToken } from './client-token';
import type { CreateTicketDto, TicketDto, TicketListItemDto, TicketListQueryDto, TicketPageDto, TicketWithKeyDto, UpdateTicketDto } from './dto/ticket.dto';
import { TicketKey } from './entities/ticket-key.entity';
import { TICKET_REVISION_ROW, TicketRevision } from './entities/ticket-revision.entity';
import { Ticket, TicketAlg, ticketNameKey } from './entities/ticket.entity';
import { TicketJwksService } from './ticket-jwks.service';
import { TicketConfig, ticketConfig } from './ticket.config';
import { formatTicketDate, parseTicketTime } from './ticket-time';

const ticketNotFound = () => new AppException('error.ticketNotFound');

/** The public JWK as published and shown: `{"kty","kid","n","e","alg","use"}`, never a private part. */
function serverKeyOf(pair: SigningKeyPair): string {
  const { kty, n, e } = pair.publicJwk;
  return JSON.stringify({ kty, kid: pair.kid, n, e, alg: pair.alg, use: 'sig' });
}

/** A JWT-SIGNER ticket's client key: the private JWK, handed over once. */
function clientKeyOf(pair: SigningKeyPair): string {
  return JSON.stringify({ ...pair.privateKey.export({ format: 'jwk' }), kid: pair.kid, alg: pair.alg, use: 'sig' });
}

/** The end of a validity must lie ahead, and after its start. */
function checkValidity(validStartTime: Date, validEndTime: Date, now: Date): void {
  if (validEndTime.getTime() <= now.getTime()) throw invalidInput('validEndTime', 'inFuture');
  if (validEndTime.getTime() <= validStartTime.getTime()) throw invalidInput('validEndTime', 'laterThan', 'validStartTime');
}

/** Every ticket write raises the revision in its own transaction: other instances reload their JWKS view when they see it. */
async function raiseRevision(manager: EntityManager): Promise<void> {
  await manager.getRepository(TicketRevision).increment({ id: TICKET_REVISION_ROW }, 'revision', 1);
}

/** A key with its encrypted private half (JWT tickets). */
function keyWithPrivatePart(reader: Reader, kid: string): Promise<TicketKey | null> {
  return reader.getRepository(TicketKey).createQueryBuilder('k').addSelect('k.privateKey').where('k.kid = :kid', { kid }).getOne();
}

@Injectable()
export class TicketService {
  private readonly cipher: PrivateKeyCipher;

  constructor(
    private readonly transactions: Transactions,
    private readonly jwks: TicketJwksService,
    @Inject(jwtConfig.token) private readonly jwt: JwtConfig,
    @Inject(ticketConfig.token) private readonly config: TicketConfig,
    private readonly metrics: Metrics,
  ) {
    // The unit and the secret the server's own signing keys are stored with.
    this.cipher = new PrivateKeyCipher(jwt.keyEncryptionSecret);
  }

  async list(query: TicketListQueryDto): Promise<TicketPageDto> {
    const builder = this.transactions.reader.getRepository(Ticket).createQueryBuilder('t').where('t.gatewayId = :gatewayId', { gatewayId: query.gatewayId });
    if (query.name) builder.andWhere(`t.nameKey LIKE :name ${LIKE_ESCAPE}`, { name: containsPattern(ticketNameKey(query.name)) });
    const take = query.pageSize ?? 10;
    const [rows, totalCount] = await builder
      .orderBy('t.id', 'ASC')
      .skip(((query.pageNumber ?? 1) - 1) * take)
      .take(take)
      .getManyAndCount();
    return { list: rows.map((ticket) => this.listItem(ticket)), totalCount };
  }

  async get(id: number): Promise<TicketDto> {
    const reader = this.transactions.reader;
    const ticket = await reader.getRepository(Ticket).findOneBy({ id });
    if (!ticket) throw ticketNotFound();
    return this.detail(ticket, await keyWithPrivatePart(reader, ticket.kid));
  }

  async create(actorId: number | null, input: CreateTicketDto): Promise<TicketWithKeyDto> {
    const now = new Date();
    const validStartTime = input.validStartTime === undefined ? now : parseTicketTime(input.validStartTime, 'start')!;
    const validEndTime = parseTicketTime(input.validEndTime, 'end')!;
    checkValidity(validStartTime, validEndTime, now);
    const jwt = input.ticketType === 'JWT';
    // Not worth a key pair; the unique index still closes the race between two creations.
    if (await this.transactions.reader.getRepository(Ticket).existsBy({ gatewayId: input.gatewayId, nameKey: ticketNameKey(input.name) })) {
      throw new AppException('error.ticketNameTaken');
    }
    const pair = await generateSigningKeyPair(input.alg ?? 'RS256');
    const pem = privateKeyPem(pair.privateKey);
    const ticket = await this.transactions.run(async (manager) => {
      const tickets = manager.getRepository(Ticket);
      const ticket = tickets.create({
        gatewayId: input.gatewayId,
        name: input.name,
        nameKey: ticketNameKey(input.name),
        comment: input.comment ?? null,
        ticketType: input.ticketType,
        alg: pair.alg as TicketAlg,
        kid: pair.kid,
        validStartTime,
        validEndTime,
        tokenJti: jwt ? randomUUID() : null,
        tokenIssuedAt: jwt ? now : null,
        createBy: actorId,
        updateBy: actorId,
      });
      const inserted = await conflictOnDuplicate(tickets.insert(ticket), 'error.ticketNameTaken');
      ticket.id = (inserted.identifiers[0] as { id: number }).id;
      await manager.getRepository(TicketKey).insert({
        kid: pair.kid,
        ticketId: ticket.id,
        publicJwk: serverKeyOf(pair),
        // A JWT-SIGNER ticket's private key goes to the client alone.
        privateKey: jwt ? this.cipher.encrypt(pem) : null,
        createdAt: now,
        expiresAt: null,
      });
      await raiseRevision(manager);
      return ticket;
    });
    this.metrics.ticketChanged('created');
    await this.jwks.refreshAfterWrite();
    return this.withKey(ticket, pair, pem);
  }

  /** The comment and the end of the validity; a new end gives a JWT ticket a new client token. */
  async update(actorId: number | null, id: number, input: UpdateTicketDto): Promise<TicketDto> {
    const now = new Date();
    const validEndTime = input.validEndTime === undefined ? undefined : parseTicketTime(input.validEndTime, 'end')!;
    let validityChanged = false;
    const { ticket, key } = await this.transactions.run(async (manager) => {
      const tickets = manager.getRepository(Ticket);
      const current = await tickets.findOneBy({ id });
      if (!current) throw ticketNotFound();
      const changes: Partial<Ticket> = { updateBy: actorId };
      if (input.comment !== undefined) changes.comment = input.comment;
      if (validEndTime && validEndTime.getTime() !== current.validEndTime.getTime()) {
        checkValidity(current.validStartTime, validEndTime, now);
        validityChanged = true;
        changes.validEndTime = validEndTime;
        if (current.ticketType === 'JWT') Object.assign(changes, { tokenJti: randomUUID(), tokenIssuedAt: now });
      }
      const result = await tickets.update({ id }, changes);
      if (result.affected !== 1) throw ticketNotFound();
      if (validityChanged) await raiseRevision(manager);
      const ticket = (await tickets.findOneBy({ id }))!;
      return { ticket, key: await keyWithPrivatePart(manager, ticket.kid) };
    });
    this.metrics.ticketChanged('updated');
    if (validityChanged) await this.jwks.refreshAfterWrite();
    return this.detail(ticket, key);
  }

  /**
   * A new key pair and kid. The old key stays in the gateway's JWKS for TICKET_ROTATION_GRACE, so clients
   * holding tokens it signed keep working; a JWT ticket's client token is signed with the new key.
   */
  async rotate(actorId: number | null, id: number): Promise<TicketWithKeyDto> {
    const existing = await this.transactions.reader.getRepository(Ticket).findOneBy({ id });
    if (!existing) throw ticketNotFound();
    const pair = await generateSigningKeyPair(existing.alg);
    const pem = privateKeyPem(pair.privateKey);
    const now = new Date();
    const jwt = existing.ticketType === 'JWT';
    const ticket = await this.transactions.run(async (manager) => {
      const tickets = manager.getRepository(Ticket);
      // First, so that the ticket's row is locked (MySQL) before its keys change, and a deleted ticket stops here.
      const result = await tickets.update({ id }, { kid: pair.kid, updateBy: actorId, ...(jwt ? { tokenJti: randomUUID(), tokenIssuedAt: now } : {}) });
      if (result.affected !== 1) throw ticketNotFound();
      const keys = manager.getRepository(TicketKey);
      await keys.delete({ ticketId: id, expiresAt: LessThanOrEqual(now) });
      await keys.update({ ticketId: id, expiresAt: IsNull() }, { expiresAt: new Date(now.getTime() + this.config.rotationGraceSeconds * 1000) });
      await keys.insert({
        kid: pair.kid,
        ticketId: id,
        publicJwk: serverKeyOf(pair),
        privateKey: jwt ? this.cipher.encrypt(pem) : null,
        createdAt: now,
        expiresAt: null,
      });
      await raiseRevision(manager);
      return (await tickets.findOneBy({ id }))!;
    });
    this.metrics.ticketChanged('rotated');
    await this.jwks.refreshAfterWrite();
    return this.withKey(ticket, pair, pem);
  }

  /** The ticket and its keys: they leave the JWKS of this instance before the answer, of the others within a second. */
  async remove(id: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      await manager.getRepository(TicketKey).delete({ ticketId: id });
      const result = await manager.getRepository(Ticket).delete({ id });
      if (result.affected !== 1) throw ticketNotFound();
      await raiseRevision(manager);
    });
    this.metrics.ticketChanged('deleted');
    await this.jwks.refreshAfterWrite();
  }

  /** As FindAuthTickets shows it, in the document's field order. */
  private listItem(ticket: Ticket): TicketListItemDto {
    return {
      validEndTime: formatTicketDate(ticket.validEndTime),
      validStartTime: formatTicketDate(ticket.validStartTime),
      clientToken: ticket.ticketType === 'JWT' ? maskedClientToken(ticket.alg, ticket.kid) : '',
      serverKey: maskedServerKey(ticket.kid),
      name: ticket.name,
      comment: ticket.comment ?? '',
      ticketType: ticket.ticketType,
      id: ticket.id,
    };
  }

  private detail(ticket: Ticket, key: TicketKey | null, pem?: string): TicketDto {
    if (!key) throw new Error(`ticket ${ticket.id} has no key ${ticket.kid}`);
    const privatePem = pem ?? (ticket.ticketType === 'JWT' && key.privateKey ? this.cipher.decrypt(key.privateKey) : undefined);
    return {
      ...this.listItem(ticket),
      clientToken: privatePem ? this.clientToken(ticket, privatePem) : '',
      serverKey: key.publicJwk,
      gatewayId: ticket.gatewayId,
      alg: ticket.alg,
    };
  }

  /** The answer to a creation or rotation: with the new client token, or a JWT-SIGNER ticket's new client key. */
  private withKey(ticket: Ticket, pair: SigningKeyPair, pem: string): TicketWithKeyDto {
    const key = { publicJwk: serverKeyOf(pair) } as TicketKey;
    if (ticket.ticketType === 'JWT') return this.detail(ticket, key, pem);
    return { ...this.detail(ticket, key), clientKey: clientKeyOf(pair) };
  }

  private clientToken(ticket: Ticket, pem: string): string {
    return signClientToken(pem, ticket.alg, ticket.kid, {
      issuer: this.jwt.issuer,
      subject: ticket.name,
      gatewayId: ticket.gatewayId,
      jti: ticket.tokenJti!,
      issuedAt: ticket.tokenIssuedAt!,
      validStartTime: ticket.validStartTime,
      validEndTime: ticket.validEndTime,
    });
  }
}
