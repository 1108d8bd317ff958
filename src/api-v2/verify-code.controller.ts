import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { RenderAs } from '../common/renderer';
import { Public } from '../security/decorators';
import { API_V2_FAMILY } from './api-v2.family';
import { ApiV2AuthService } from './api-v2-auth.service';
import { ApiV2Error, ApiV2Invalid } from './api-v2-openapi';
import { ApiV2MessageDto, SendCodeDto } from './dto/api-v2.dto';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

const sendAction = (status: number) => (status === 200 ? 'verify_code_sent' : status === 429 ? 'verify_code_throttled' : 'verify_code_failed');

@ApiTags('api/v2 登录/注册')
@RenderAs(API_V2_FAMILY)
@Controller('api/v2')
export class VerifyCodeController {
  constructor(private readonly auth: ApiV2AuthService) {}

  @LimitedPerAddress('codeSendPerIp', 'all')
  @Post('verifycodes')
  @Public()
  @Audited({ action: sendAction, keep: ['phone', 'email'] })
  @HttpCode(200)
  @ApiOperation({
    summary: '发送验证码 Send a verification code',
    description:
      'Six digits to `phone` (SMS) or `email` (mail), valid 10 minutes, dead after 5 wrong tries. One send per address per 60 s; a new send replaces the previous code.',
  })
  @ApiOkResponse({ type: ApiV2MessageDto, description: 'Sent' })
  @ApiV2Invalid('phone', 'phone 必须是中国大陆手机号（可带 +86）')
  @ApiV2Error(429, 'A code was sent to this address less than 60 s ago; Retry-After gives the seconds to wait', '验证码发送过于频繁，请稍后再试')
  @ApiV2Error(503, 'The mail server or the SMS provider cannot be reached, or none is configured', '验证码暂时无法发送，请稍后重试')
  async send(@Body() body: SendCodeDto): Promise<Reply<ApiV2MessageDto>> {
    await this.auth.sendCode(body);
    return new Reply('ok', { message: '验证码已发送' });
  }
}
