import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { Public, Scopes } from './decorators';
import { KeyService } from './key.service';

@ApiTags('密钥 Keys')
@Controller()
export class KeysController {
  constructor(private readonly keys: KeyService) {}

  /** A plain JWK Set, as resource servers and gateways expect it: not in the envelope. */
  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({ summary: 'The public keys of RS256/ES256 tokens (JWKS)', description: 'Empty with JWT_ALG=HS256. A rotated-out key stays until every token it signed has expired.' })
  @ApiOkResponse({ schema: { example: { keys: [{ kty: 'RSA', n: '0vx7…', e: 'AQAB', kid: '9c901c45-0ef0-4bda-a4e2-8307012c0000', alg: 'RS256', use: 'sig' }] } } })
  jwks(): Promise<{ keys: object[] }> {
    return this.keys.jwks();
  }

  @Post('keys/rotate')
  @Scopes('keyMan')
  @HttpCode(200)
  @Audited({ action: 'key_rotate' })
  @ApiOperation({ summary: 'Rotate the signing key', description: 'A new key is published and starts signing; tokens signed before keep working. 409 with JWT_ALG=HS256.' })
  @ApiOkResponse({ schema: { example: { code: 200, message: '操作成功', msg: '操作成功', data: { kid: '9c901c45-0ef0-4bda-a4e2-8307012c0000', alg: 'RS256' } } } })
  async rotate(): Promise<Reply<{ kid: string; alg: string }>> {
    return new Reply('ok', await this.keys.rotate());
  }
}
