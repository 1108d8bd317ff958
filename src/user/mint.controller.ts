import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import type { FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { clientOf } from '../session/client-info';
import { Reply } from '../common/envelope';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import type { Principal } from '../security/principal';
import { GenerateJwtDto, PersonalTokenDto } from './dto/mint.dto';
import { MintService } from './mint.service';

/** What the audit log keeps of a mint request: the requested jwtId and issuer among them. */
const MINT_KEEP = ['subject', 'audience', 'authorities', 'expiresAt', 'jwtId', 'issuer'];
const tokenData = EnvelopeData.string('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...');

@ApiTags('令牌 Tokens')
@Controller('user')
export class MintController {
  constructor(private readonly mint: MintService) {}

  @Post('generateJwt')
  @Scopes('generateJwt')
  @Audited({ action: 'mint', keep: MINT_KEEP })
  @HttpCode(200)
  @ApiOperation({
    summary: 'generateJwt: mint a token for any subject',
    description:
      'The token carries `act: {sub: <caller>}`; its `jti` and `iss` are the server’s (the requested jwtId and issuer are recorded). `authorities` must be a subset of the caller’s scopes (403), its scopes when omitted. `expiresAt` must be in the future and at most MINT_MAX_TTL ahead (400). It can be searched and revoked like a session.',
  })
  @ApiEnvelopeResponse(200, tokenData, { description: 'The token (JWT)' })
  async generate(@CurrentPrincipal() caller: Principal, @Body() body: GenerateJwtDto, @Req() request: FastifyRequest): Promise<Reply<string>> {
    const minted = await this.mint.generate(caller, body, clientOf(request));
    noteAudit(request, { target: minted.sessionId });
    return new Reply('ok', minted.accessToken);
  }

  @Post('getJwt')
  @Scopes('getJwt')
  @Audited({ action: 'mint', keep: MINT_KEEP })
  @HttpCode(200)
  @ApiOperation({
    summary: 'getJwt: a personal access token for the caller',
    description: 'For scripts: the caller’s own identity, a subset of its scopes, the same limits as generateJwt.',
  })
  @ApiEnvelopeResponse(200, tokenData, { description: 'The token (JWT)' })
  async personal(@CurrentPrincipal() caller: Principal, @Body() body: PersonalTokenDto, @Req() request: FastifyRequest): Promise<Reply<string>> {
    const minted = await this.mint.personal(caller, body, clientOf(request));
    noteAudit(request, { target: minted.sessionId });
    return new Reply('ok', minted.accessToken);
  }
}
