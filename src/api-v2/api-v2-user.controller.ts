import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { RenderAs } from '../common/renderer';
import { Public } from '../security/decorators';
import { clientOf } from '../session/client-info';
import { API_V2_FAMILY } from './api-v2.family';
import { ApiV2AuthService } from './api-v2-auth.service';
import { ApiV2Error, ApiV2Invalid, ApiV2Tokens } from './api-v2-openapi';
import { ApiV2SessionPresenter, ApiV2TokenBody } from './api-v2-session.presenter';
import { RegisterV2Dto } from './dto/api-v2.dto';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

@ApiTags('api/v2 登录/注册')
@RenderAs(API_V2_FAMILY)
@Controller('api/v2')
export class ApiV2UserController {
  constructor(
    private readonly auth: ApiV2AuthService,
    private readonly presenter: ApiV2SessionPresenter,
  ) {}

  @LimitedPerAddress('registration', 'all')
  @Post('users')
  @Public()
  @Audited({ action: (status) => (status === 200 ? 'register' : 'register_failed'), keep: ['name', 'verifiableType', 'phone', 'email'] })
  @HttpCode(200)
  @ApiOperation({
    summary: '用户注册 Register',
    description:
      'With the code sent to `phone` (verifiableType sms) or `email` (mail). The user gets the default role and the verified address (the other one, if given, is not stored), and is logged in: a session of type mobile.',
  })
  @ApiV2Tokens()
  @ApiV2Invalid('verifiableCode', 'verifiableCode 错误或已失效')
  @ApiV2Error(403, 'REGISTRATION_ENABLED is false', '注册已关闭')
  async register(@Body() body: RegisterV2Dto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Reply<ApiV2TokenBody>> {
    const issued = await this.auth.register(body, clientOf(request));
    noteAudit(request, { actor: String(issued.userId), target: String(issued.userId) });
    return this.presenter.opened(reply, issued);
  }
}
