import { applyDecorators, Body, Controller, Get, HttpCode, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { RenderAs } from '../common/renderer';
import { BEARER_SCHEME, CurrentPrincipal, Public, Scopes } from '../security/decorators';
import type { Principal } from '../security/principal';
import { clientOf } from '../session/client-info';
import { API_V2_FAMILY } from './api-v2.family';
import { ApiV2AuthService } from './api-v2-auth.service';
import { ApiV2Error, ApiV2Invalid, ApiV2Tokens } from './api-v2-openapi';
import { ApiV2SessionPresenter, ApiV2TokenBody } from './api-v2-session.presenter';
import { ApiV2MessageDto, LoginV2Dto } from './dto/api-v2.dto';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

const REFRESH_DESCRIPTION =
  'Takes the current token in `Authorization: Bearer`, still valid or expired, while its session is within refresh_ttl of its login, and answers a new one; the old token stops working at once. Only the latest token of a session refreshes it.';

/** One route of refresh, for each of the methods the document allows. */
const refreshRoute = () =>
  applyDecorators(
    Public(),
    Audited({ action: (status) => (status === 200 ? 'refresh' : 'refresh_failed') }),
    HttpCode(200),
    ApiBearerAuth(BEARER_SCHEME),
    ApiOperation({ summary: '刷新 Token Refresh the token', description: REFRESH_DESCRIPTION }),
    ApiV2Tokens(),
    ApiV2Error(401, 'No token, or one that is not ours, replaced by a refresh, of an ended session, or past refresh_ttl', '令牌无效或已过期，请重新登录'),
  );

/** One route of logout, for each of the methods the document allows. */
const logoutRoute = () =>
  applyDecorators(
    Scopes(),
    Audited({ action: 'logout' }),
    HttpCode(200),
    ApiOperation({ summary: '用户退出 Log out', description: 'Ends the session of the token in `Authorization`: the token stops working at once.' }),
    ApiOkResponse({ type: ApiV2MessageDto, description: '{"message": "退出成功"}' }),
  );

@ApiTags('api/v2 登录/注册')
@RenderAs(API_V2_FAMILY)
@Controller('api/v2/auth')
export class ApiV2AuthController {
  constructor(
    private readonly auth: ApiV2AuthService,
    private readonly presenter: ApiV2SessionPresenter,
  ) {}

  @Post('login')
  @Public()
  @Audited({ action: (status) => (status === 200 ? 'login' : status === 429 ? 'login_throttled' : 'login_failed'), keep: ['login'] })
  @HttpCode(200)
  @ApiOperation({
    summary: '用户登录 Log in',
    description:
      '`login` is a name, an email or a phone; with `password`, or with `verifiable_code` (then `login` must be a phone or an email). Every failure is the same 401; too many failures are a 429, as for POST /auth/login.',
  })
  @ApiV2Tokens()
  @ApiV2Invalid('password', 'password 和 verifiable_code 必须提供一个')
  @ApiV2Error(401, 'Unknown login, wrong password or code, disabled user', '账号、密码或验证码错误')
  @ApiV2Error(
    429,
    'Too many failed logins (LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_IP); Retry-After gives the seconds to wait',
    '登录失败次数过多，请稍后再试',
  )
  async login(@Body() body: LoginV2Dto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    noteAudit(request, { actor: String(body.login).slice(0, 64), details: { method: body.password !== undefined ? 'password' : 'code' } });
    const issued = await this.auth.login(body, clientOf(request));
    noteAudit(request, { actor: String(issued.userId) });
    return this.presenter.opened(reply, issued);
  }

  @LimitedPerAddress('refresh', 'refusals')
  @Post('refresh')
  @refreshRoute()
  refreshByPost(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    return this.refresh(request, reply);
  }

  @LimitedPerAddress('refresh', 'refusals')
  @Put('refresh')
  @refreshRoute()
  refreshByPut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    return this.refresh(request, reply);
  }

  @Patch('refresh')
  @refreshRoute()
  refreshByPatch(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    return this.refresh(request, reply);
  }

  @LimitedPerAddress('refresh', 'refusals')
  @Get('refresh')
  @refreshRoute()
  refreshByGet(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    return this.refresh(request, reply);
  }

  @Post('logout')
  @logoutRoute()
  logoutByPost(@CurrentPrincipal() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2MessageDto>> {
    return this.logout(caller, reply);
  }

  @Put('logout')
  @logoutRoute()
  logoutByPut(@CurrentPrincipal() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2MessageDto>> {
    return this.logout(caller, reply);
  }

  @Patch('logout')
  @logoutRoute()
  logoutByPatch(@CurrentPrincipal() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2MessageDto>> {
    return this.logout(caller, reply);
  }

  @Get('logout')
  @logoutRoute()
  logoutByGet(@CurrentPrincipal() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2MessageDto>> {
    return this.logout(caller, reply);
  }

  private async refresh(request: FastifyRequest, reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    const issued = await this.auth.refresh(request.headers.authorization);
    noteAudit(request, { actor: String(issued.userId), target: issued.sessionId });
    return this.presenter.refreshed(reply, issued);
  }

  private async logout(caller: Principal, reply: FastifyReply): Promise<Reply<ApiV2MessageDto>> {
    await this.auth.logout(caller);
    return this.presenter.ended(reply);
  }
}
