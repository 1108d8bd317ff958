import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { ApiCookieAuth, ApiHeader, ApiNoContentResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { AccessTokenGuard } from '../security/access-token.guard';
import { Public, Scopes } from '../security/decorators';
import { clientOf } from '../session/client-info';
import { SessionIssuer } from '../session/session-issuer.service';
import { AuthService } from './auth.service';
import { LoginDto, LoginResultDto } from './dto/login.dto';
import { JsonBodyOnly } from './json-body.guard';
import { presentedRefreshToken, refreshCookie, refreshHeader, V1SessionPresenter } from './v1-session.presenter';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

/** A refresh's audit action: a success, a reuse of a rotated token, a client that moved, or another failure. */
function refreshAction(status: number, errorKey: string | undefined): string {
  if (status < 400) return 'refresh';
  if (status === 403) return 'session_bound_mismatch';
  return errorKey === 'error.refreshReused' ? 'refresh_reuse' : 'refresh_failed';
}

/** The headers a login and a refresh send the session's tokens in. */
const sessionTokenHeaders = (fresh: '' | 'new ') => ({
  Authorization: { description: `Bearer + the ${fresh}access token (JWT), for every request`, schema: { type: 'string' as const } },
  'X-Refresh-Token': { description: `The ${fresh}refresh token, only for POST /auth/session and POST /auth/logout`, schema: { type: 'string' as const } },
  'Set-Cookie': { description: `token=<the ${fresh}refresh token>; HttpOnly; SameSite=Strict; Path=/auth`, schema: { type: 'string' as const } },
});

const errorExample = (code: number, message: string) => ({ schema: { example: { code, message, msg: message, data: null } } });

@ApiTags('认证 Auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionIssuer,
    private readonly presenter: V1SessionPresenter,
    private readonly guard: AccessTokenGuard,
  ) {}

  @Post('login')
  @Public()
  @JsonBodyOnly()
  @Audited({ action: (status) => (status === 200 ? 'login' : status === 429 ? 'login_throttled' : 'login_failed'), keep: ['username'] })
  @HttpCode(200)
  @ApiOperation({
    summary: '登录 Log in',
    description:
      'Returns the access token in the body and in `Authorization`, the refresh token in `X-Refresh-Token` and in the HttpOnly cookie `token` (Path=/auth).',
  })
  @ApiEnvelopeResponse(200, LoginResultDto, { message: '登录成功', headers: sessionTokenHeaders('') })
  @ApiResponse({ status: 400, description: 'Malformed body', ...errorExample(400, '请求参数错误') })
  @ApiResponse({ status: 401, description: 'Unknown user, wrong password or disabled user', ...errorExample(401, '用户名或密码错误') })
  @ApiResponse({
    status: 429,
    description:
      'Too many failed logins of this username from this address (LOGIN_MAX_FAILURES), or from this address (LOGIN_MAX_FAILURES_PER_IP), within LOGIN_LOCKOUT: refused before the password is checked. `Retry-After` and `data.retryAfter` give the seconds to wait',
    headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } },
    schema: { example: { code: 429, message: '登录失败次数过多，请稍后再试', msg: '登录失败次数过多，请稍后再试', data: { retryAfter: 840 } } },
  })
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<LoginResultDto>> {
    noteAudit(request, { actor: String(body.username).slice(0, 64) });
    const issued = await this.auth.login(body.username, body.password, clientOf(request));
    noteAudit(request, { actor: String(issued.userId) });
    return this.presenter.opened(reply, issued);
  }

  @LimitedPerAddress('refresh', 'refusals')
  @Post('session')
  @Public()
  @JsonBodyOnly()
  @Audited({ action: refreshAction })
  @HttpCode(204)
  @ApiOperation({
    summary: '获取新的session Refresh the session',
    description:
      'Needs the refresh token in both the `token` cookie and the `X-Refresh-Token` header. The User-Agent and IP must be those of the login, else the session is revoked (403). A refresh token that was already used revokes the session (401).',
  })
  @ApiCookieAuth('token')
  @ApiHeader({ name: 'X-Refresh-Token', required: true, description: 'The current refresh token' })
  @ApiNoContentResponse({ description: 'New tokens in `Authorization`, `X-Refresh-Token` and the cookie', headers: sessionTokenHeaders('new ') })
  @ApiResponse({ status: 401, description: 'Missing, unequal, invalid, expired or reused refresh token', ...errorExample(401, '刷新令牌无效或已过期') })
  @ApiResponse({
    status: 403,
    description: 'User-Agent or IP differs from the login: the session is revoked',
    ...errorExample(403, '客户端与登录时不一致，会话已吊销'),
  })
  async refresh(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const issued = await this.sessions.rotate(presentedRefreshToken(request), clientOf(request));
    noteAudit(request, { actor: String(issued.userId) });
    this.presenter.refreshed(reply, issued);
  }

  @Post('logout')
  @Public()
  @JsonBodyOnly()
  @Audited({ action: 'logout' })
  @HttpCode(200)
  @ApiOperation({ summary: '退出登录 Log out', description: 'Revokes the session named by the access token and/or the refresh token, and clears the cookie.' })
  @ApiHeader({ name: 'Authorization', required: false, description: 'Bearer + access token' })
  @ApiHeader({ name: 'X-Refresh-Token', required: false, description: 'The refresh token' })
  @ApiEnvelopeResponse(200, EnvelopeData.none, {
    message: '退出成功',
    headers: { 'Set-Cookie': { description: 'token= with an expiry in the past: the refresh cookie is cleared', schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 401, description: 'Neither token is valid', ...errorExample(401, '未提供有效的访问令牌或刷新令牌') })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<null>> {
    const fromAccessToken = this.guard.authenticate(request.headers.authorization)?.sid;
    const fromRefreshToken = await this.sessions.sessionOfRefreshToken(refreshHeader(request) ?? refreshCookie(request));
    if (!fromAccessToken && !fromRefreshToken) throw new AppException('error.logoutUnauthenticated');
    noteAudit(request, { target: [fromAccessToken, fromRefreshToken].filter(Boolean).join(',') });
    for (const sessionId of new Set([fromAccessToken, fromRefreshToken])) {
      if (sessionId) await this.sessions.revoke(sessionId, 'logout');
    }
    return this.presenter.ended(reply);
  }
}

@ApiTags('Default')
@Controller()
export class TokenCheckController {
  /** Valid tokens are answered by TokenCheckRoute before Nest's pipeline; the others meet the global guard's refusals here. */
  @Get('test')
  @Scopes()
  @HttpCode(204)
  @ApiOperation({ summary: '测试 Check an access token', description: '204 for a valid, unrevoked access token.' })
  @ApiNoContentResponse({ description: 'The token is valid' })
  check(): void {}
}
