import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { LoginResultDto } from '../auth/dto/login.dto';
import { JsonBodyOnly } from '../auth/json-body.guard';
import { V1SessionPresenter } from '../auth/v1-session.presenter';
import { ApiEnvelopeResponse } from '../common/api-envelope';
import { Reply } from '../common/envelope';
import { Public } from '../security/decorators';
import { clientOf } from '../session/client-info';
import { ExchangeCodeDto } from './dto/exchange.dto';
import { TokenLoginService } from './token-login.service';

const error = (message: string) => ({ schema: { example: { code: 401, message, msg: message, data: null } } });

/** The landing page's half of a partner sign-in; under /auth with the other ways of getting a session's tokens. */
@ApiTags('认证 Auth')
@Controller('auth')
export class ExchangeController {
  constructor(
    private readonly tokenLogin: TokenLoginService,
    private readonly presenter: V1SessionPresenter,
  ) {}

  @Post('exchange')
  @Public()
  @JsonBodyOnly()
  @Audited({ action: (status) => (status === 200 ? 'sso_exchange' : 'sso_exchange_failed') })
  @HttpCode(200)
  @ApiOperation({
    summary: '兑换登录码 Trade a sign-in code for the tokens',
    description:
      'The one-time code a partner sign-in (GET /account/tokenLogin.do) redirected with, traded once within 60 s by the same browser (User-Agent, and IP with SESSION_BIND_IP): the answer is that of POST /auth/login.',
  })
  @ApiEnvelopeResponse(200, LoginResultDto, {
    message: '登录成功',
    headers: {
      Authorization: { description: 'Bearer + the access token (JWT), for every request', schema: { type: 'string' } },
      'X-Refresh-Token': { description: 'The refresh token, only for POST /auth/session and POST /auth/logout', schema: { type: 'string' } },
      'Set-Cookie': { description: 'token=<the refresh token>; HttpOnly; SameSite=Strict; Path=/auth', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 401, description: 'Unknown, expired or already used code, or another browser', ...error('登录码无效、已过期或已被使用') })
  async exchange(
    @Body() body: ExchangeCodeDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Reply<LoginResultDto>> {
    const issued = await this.tokenLogin.exchange(body.code, clientOf(request));
    noteAudit(request, { actor: String(issued.userId) });
    return this.presenter.opened(reply, issued);
  }
}
