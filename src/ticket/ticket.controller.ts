import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { EnvelopeData } from '../common/api-envelope';
import { Reply } from '../common/envelope';
import { readGetBody } from '../common/get-body';
import { idFromText, ParseIdPipe } from '../common/parse-id.pipe';
import { validated } from '../common/validate';
import { invalidInput } from '../common/validation';
import { CORE_CONFIG, CoreConfig } from '../config/core.config';
import { CurrentPrincipal, Public } from '../security/decorators';
import { actorIdOf, Principal } from '../security/principal';
import { CreateTicketDto, TicketDto, TicketListQueryDto, TicketPageDto, TicketWithKeyDto, UpdateTicketDto } from './dto/ticket.dto';
import { ApiTicketErrors, ApiTicketResponse, TicketScopes } from './ticket-openapi';
import { Operation, RenderAsTicket } from './ticket.renderer';
import { TicketJwksService } from './ticket-jwks.service';
import { TicketService } from './ticket.service';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

/** Body fields the audit log keeps: no key or token is ever in a request. */
const AUDIT_KEEP = ['gatewayId', 'name', 'ticketType', 'alg', 'validStartTime', 'validEndTime', 'comment'];
const KID = '9c901c45-0ef0-4bda-a4e2-8307012c0000';
const listItemExample = {
  validEndTime: '2020-11-22',
  validStartTime: '2020-10-22',
  clientToken: 'eyJhbGciOiJSUzUx****',
  serverKey: '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c****"}',
  name: 'JWTtest',
  comment: 'Doctest',
  ticketType: 'JWT',
  id: 58,
};
const ticketExample = {
  ...listItemExample,
  clientToken: 'eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCIsImtpZCI6IjljOTAxYzQ1LTBlZjAtNGJkYS1hNGUyLTgzMDcwMTJjMDAwMCJ9.eyJpc3MiOiJpZGVudGl0eS1zZXJ2ZXIifQ.c2ln',
  serverKey: `{"kty":"RSA","kid":"${KID}","n":"0vx7…","e":"AQAB","alg":"RS512","use":"sig"}`,
  gatewayId: 70,
  alg: 'RS512',
};
const signerExample = {
  ...ticketExample,
  name: 'SignerTest',
  ticketType: 'JWT-SIGNER',
  clientToken: '',
  clientKey: `{"kty":"RSA","n":"0vx7…","e":"AQAB","d":"X4cT…","p":"…","q":"…","dp":"…","dq":"…","qi":"…","kid":"${KID}","alg":"RS512","use":"sig"}`,
};
const JWKS_SCHEMA = {
  type: 'object' as const,
  required: ['keys'],
  properties: {
    keys: {
      type: 'array' as const,
      items: {
        type: 'object' as const,
        required: ['kty', 'kid', 'n', 'e', 'alg', 'use'],
        properties: Object.fromEntries(['kty', 'kid', 'n', 'e', 'alg', 'use'].map((name) => [name, { type: 'string' as const }])),
      },
    },
  },
  example: { keys: [{ kty: 'RSA', kid: KID, n: '0vx7…', e: 'AQAB', alg: 'RS512', use: 'sig' }] },
};

@ApiTags('网关凭证 API-gateway tickets')
@RenderAsTicket()
@LimitedPerAddress('ticket', 'refusals')
@Controller('v1/auth')
export class TicketController {
  constructor(
    private readonly tickets: TicketService,
    private readonly jwks: TicketJwksService,
    @Inject(CORE_CONFIG) private readonly config: CoreConfig,
  ) {}

  @Get()
  @Operation('FindAuthTickets')
  @TicketScopes()
  @ApiOperation({
    summary: 'FindAuthTickets 查询凭证',
    description:
      'Parameters from the query string, or from a JSON body sent with the GET as the document does (numbers as strings accepted). Oldest first; the client token and server key masked as the document shows them.',
  })
  @ApiQuery({ type: TicketListQueryDto })
  @ApiTicketResponse(TicketPageDto, { list: [listItemExample], totalCount: 2 })
  @ApiTicketErrors(400)
  async list(@Req() request: FastifyRequest): Promise<Reply<TicketPageDto>> {
    const fromBody = await readGetBody(request, this.config.bodyLimitBytes);
    const query = await validated(TicketListQueryDto, { ...fromBody, ...(request.query as object) });
    return new Reply('query.success', await this.tickets.list(query));
  }

  /**
   * What every gateway polls: served from memory, serialised once per change, never a database query. Valid
   * requests are answered by TicketJwksRoute before Nest's pipeline; this method answers the others (refusals).
   */
  @Get('jwks')
  @Public()
  @ApiOperation({
    summary: 'The public keys of a gateway’s tickets (JWKS)',
    description:
      'A plain JWK Set: the keys of the gateway’s tickets valid now, and rotated-out keys in their TICKET_ROTATION_GRACE. Cache-Control max-age is at most 60 s and never longer than the grace period.',
  })
  @ApiQuery({ name: 'gatewayId', required: true, example: 70 })
  @ApiOkResponse({ description: 'A JWK Set, not in the family’s {code, data, message}', schema: JWKS_SCHEMA })
  @ApiTicketErrors(400)
  jwksOf(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): string {
    const gatewayId = (request.query as { gatewayId?: unknown }).gatewayId;
    const id = typeof gatewayId === 'string' ? idFromText(gatewayId) : undefined;
    if (id === undefined) throw invalidInput('gatewayId', gatewayId === undefined ? 'required' : 'id');
    void reply.header('cache-control', this.jwks.cacheControl).type('application/json; charset=utf-8');
    return this.jwks.answer(id);
  }

  @Get(':id')
  @Operation('GetAuthTicket')
  @TicketScopes()
  @ApiParam({ name: 'id', example: 58 })
  @ApiOperation({ summary: 'One ticket', description: 'Its client token (JWT tickets) and server key unmasked.' })
  @ApiTicketResponse(TicketDto, ticketExample)
  @ApiTicketErrors(400, 404)
  async get(@Param('id', ParseIdPipe) id: number): Promise<Reply<TicketDto>> {
    return new Reply('fetch.success', await this.tickets.get(id));
  }

  @Post()
  @Operation('CreateAuthTicket')
  @TicketScopes()
  @Audited({ action: 'ticket_create', keep: AUDIT_KEEP })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a ticket',
    description:
      'A JWT ticket answers its client token (the server signs it: iss, sub = name, aud = gateway:<gatewayId>, jti, iat, nbf = validStartTime, exp = validEndTime). A JWT-SIGNER ticket answers its private key as clientKey, here only: the server keeps the public key alone.',
  })
  @ApiBody({
    type: CreateTicketDto,
    examples: {
      jwt: { value: { gatewayId: 70, name: 'JWTtest', comment: 'Doctest', ticketType: 'JWT', validEndTime: '2030-11-22', alg: 'RS512' } },
      signer: { value: { gatewayId: 70, name: 'SignerTest', ticketType: 'JWT-SIGNER', validStartTime: '2030-10-22', validEndTime: '2030-11-22' } },
    },
  })
  @ApiTicketResponse(TicketWithKeyDto, signerExample)
  @ApiTicketErrors(400, 409)
  async create(@CurrentPrincipal() caller: Principal, @Body() body: CreateTicketDto, @Req() request: FastifyRequest): Promise<Reply<TicketWithKeyDto>> {
    const ticket = await this.tickets.create(actorIdOf(caller), body);
    noteAudit(request, { target: String(ticket.id), details: { kid: JSON.parse(ticket.serverKey).kid } });
    return new Reply('create.success', ticket);
  }

  @Put(':id')
  @Operation('UpdateAuthTicket')
  @TicketScopes()
  @Audited({ action: 'ticket_update', target: 'id', keep: AUDIT_KEEP })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 58 })
  @ApiOperation({
    summary: 'Change a ticket’s comment or validEndTime',
    description: 'A new validEndTime (in the future, after validStartTime) gives a JWT ticket a new client token; the key leaves the JWKS at the new end.',
  })
  @ApiTicketResponse(TicketDto, ticketExample)
  @ApiTicketErrors(400, 404)
  async update(@CurrentPrincipal() caller: Principal, @Param('id', ParseIdPipe) id: number, @Body() body: UpdateTicketDto): Promise<Reply<TicketDto>> {
    return new Reply('update.success', await this.tickets.update(actorIdOf(caller), id, body));
  }

  @Post(':id/rotate')
  @Operation('RotateAuthTicket')
  @TicketScopes()
  @Audited({ action: 'ticket_rotate', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 58 })
  @ApiOperation({
    summary: 'Rotate a ticket’s key pair',
    description:
      'A new key and kid: a JWT ticket answers its new client token, a JWT-SIGNER ticket its new clientKey (here only). The old key stays in the JWKS for TICKET_ROTATION_GRACE, so clients keep working while they move.',
  })
  @ApiTicketResponse(TicketWithKeyDto, signerExample)
  @ApiTicketErrors(400, 404)
  async rotate(@CurrentPrincipal() caller: Principal, @Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest): Promise<Reply<TicketWithKeyDto>> {
    const ticket = await this.tickets.rotate(actorIdOf(caller), id);
    noteAudit(request, { details: { kid: JSON.parse(ticket.serverKey).kid } });
    return new Reply('ok', ticket);
  }

  @Delete(':id')
  @Operation('DeleteAuthTicket')
  @TicketScopes()
  @Audited({ action: 'ticket_delete', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 58 })
  @ApiOperation({ summary: 'Delete a ticket', description: 'Its keys leave the JWKS at once.' })
  @ApiTicketResponse(EnvelopeData.none, null)
  @ApiTicketErrors(400, 404)
  async remove(@Param('id', ParseIdPipe) id: number): Promise<Reply<null>> {
    await this.tickets.remove(id);
    return new Reply('delete.success', null);
  }
}
