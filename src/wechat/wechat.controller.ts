import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiV2SessionPresenter, ApiV2TokenBody } from '../api-v2/api-v2-session.presenter';
import { API_V2_FAMILY } from '../api-v2/api-v2.family';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { RenderAs } from '../common/renderer';
import { Public } from '../security/decorators';
import { clientOf } from '../session/client-info';
import { MiniProgramLoginDto, MiniProgramTokenDto } from './dto/mini-program.dto';
import { WechatLoginService } from './wechat.service';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

const refusal = (message: string) => ({ schema: { example: { message } } });

/** A mini-program login's audit action, by its answer. */
function loginAction(status: number): string {
  if (status === 200) return 'wechat_login';
  return status === 429 ? 'wechat_login_throttled' : 'wechat_login_failed';
}

/** Document 002, 小程序注册登录: the api/v2 family's way in for WeChat mini-programs. */
@ApiTags('api/v2')
@Controller('api/v2/wechat')
@RenderAs(API_V2_FAMILY)
export class WechatController {
  constructor(
    private readonly wechat: WechatLoginService,
    private readonly presenter: ApiV2SessionPresenter,
  ) {}

  @Post('mini-program')
  @LimitedPerAddress('wechatLogin')
  @Public()
  @Audited({ action: loginAction })
  @HttpCode(200)
  @ApiOperation({
    summary: '小程序注册登录 Log in with a WeChat mini-program',
    description:
      'Trades the `wx.login` code with WeChat (jscode2session, WECHAT_APPID and WECHAT_SECRET) for the WeChat user, finds its user by the openid of this app or by its unionid, or makes one (named wx_…, no password, the DEFAULT_ROLE_KEY role; refused with 403 when REGISTRATION_ENABLED=false), and opens a session of type `wechat`. The token works on every route of the service; `expires_in` and `refresh_ttl` are minutes.',
  })
  @ApiOkResponse({ type: MiniProgramTokenDto, description: 'The session is open' })
  @ApiResponse({
    status: 401,
    description: 'WeChat refused the code (errcode), answered something unreadable, or the user is disabled',
    ...refusal('微信登录凭证 code 无效、已过期或已被使用'),
  })
  @ApiResponse({ status: 403, description: 'A first login while REGISTRATION_ENABLED=false', ...refusal('注册已关闭') })
  @ApiResponse({ status: 422, description: 'No code', schema: { example: { message: '请求参数错误', errors: { code: ['code 不能为空'] } } } })
  @ApiResponse({ status: 429, description: 'WeChat throttles this app (errcode 45011)', ...refusal('微信登录请求过于频繁，请稍后再试') })
  @ApiResponse({
    status: 503,
    description: 'WeChat did not answer within WECHAT_TIMEOUT_MS (5 s), is busy, refused our credentials, or WeChat login is not configured',
    ...refusal('微信服务暂时不可用，请稍后重试'),
  })
  async miniProgram(
    @Body() body: MiniProgramLoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Reply<ApiV2TokenBody>> {
    const login = await this.wechat.login(body.code, clientOf(request));
    noteAudit(request, { actor: String(login.userId), details: { newUser: login.newUser } });
    return this.presenter.opened(reply, login.tokens);
  }
}
