import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionModule } from '../session/session.module';
import { ApiV2AuthController } from './api-v2-auth.controller';
import { ApiV2AuthService } from './api-v2-auth.service';
import { ApiV2SessionPresenter } from './api-v2-session.presenter';
import { ApiV2UserController } from './api-v2-user.controller';
import { CodeSenders, MailCodeSender, SmsCodeSender } from './code-senders';
import { VerifyCode } from './entities/verify-code.entity';
import { VerifyCodeController } from './verify-code.controller';
import { VerifyCodeService } from './verify-code.service';

/** Document 002's family: verification codes, registration, login, refresh and logout under /api/v2. */
@Module({
  imports: [TypeOrmModule.forFeature([VerifyCode]), SessionModule, AuthModule],
  controllers: [VerifyCodeController, ApiV2UserController, ApiV2AuthController],
  providers: [ApiV2AuthService, ApiV2SessionPresenter, VerifyCodeService, MailCodeSender, SmsCodeSender, CodeSenders],
  // The mini-program login (src/wechat) answers with the same presenter.
  exports: [ApiV2SessionPresenter],
})
export class ApiV2Module {}
