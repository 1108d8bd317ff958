import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse } from '../common/api-envelope';
import { Audited } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { Public, Scopes } from './decorators';
import { KeyService } from './key.service';

/** A public key as RFC 7517 writes it: RSA keys carry n and e, EC keys crv, x and y. */
const JWK_SET_SCHEMA = {
  type: 'object' as const,
  required: ['keys'],
  properties: {
    keys: {
      type: 'array' as const,
      items: {
        type: 'object' as const,
        required: ['kty', 'kid', 'alg', 'use'],
        properties: Object.fromEntries(['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'].map((name) => [name, { type: 'string' as const }])),
      },
    },
  },
};

export class RotatedKeyDto {
  @ApiProperty({ example: '9c901c45-0ef0-4bda-a4e2-8307012c0000' }) kid!: string;
  @ApiProperty({ example: 'RS256', enum: ['RS256', 'ES256'] }) alg!: string;
  @ApiProperty({ example: '2026-01-01T12:00:30.000Z', description: 'When it starts signing (KEY_ACTIVATION_DELAY)' }) activatesAt!: string;
}

@ApiTags('密钥 Keys')
@Controller()
export class KeysController {
  constructor(private readonly keys: KeyService) {}

  /** A plain JWK Set, as resource servers and gateways expect it: not in the envelope. */
  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({
    summary: 'The public keys of RS256/ES256 tokens (JWKS)',
    description: 'Empty with JWT_ALG=HS256. A rotated-out key stays until every token it signed has expired.',
  })
  @ApiOkResponse({
    description: 'A JWK Set, not in the envelope',
    schema: {
      ...JWK_SET_SCHEMA,
      example: { keys: [{ kty: 'RSA', n: '0vx7…', e: 'AQAB', kid: '9c901c45-0ef0-4bda-a4e2-8307012c0000', alg: 'RS256', use: 'sig' }] },
    },
  })
  jwks(): Promise<{ keys: object[] }> {
    return this.keys.jwks();
  }

  @Post('keys/rotate')
  @Scopes('keyMan')
  @HttpCode(200)
  @Audited({ action: 'key_rotate' })
  @ApiOperation({
    summary: 'Rotate the signing key',
    description: 'A new key is published and starts signing; tokens signed before keep working. 409 with JWT_ALG=HS256.',
  })
  @ApiEnvelopeResponse(200, RotatedKeyDto, { example: { kid: '9c901c45-0ef0-4bda-a4e2-8307012c0000', alg: 'RS256', activatesAt: '2026-01-01T12:00:30.000Z' } })
  async rotate(): Promise<Reply<{ kid: string; alg: string }>> {
    return new Reply('ok', await this.keys.rotate());
  }
}
