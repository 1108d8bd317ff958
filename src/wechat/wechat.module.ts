import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiV2Module } from '../api-v2/api-v2.module';
import { SessionModule } from '../session/session.module';
import { UserWechat } from './entities/user-wechat.entity';
import { Jscode2SessionClient } from './jscode2session';
import { WechatController } from './wechat.controller';
import { WechatLoginService } from './wechat.service';

/** POST /api/v2/wechat/mini-program: WeChat mini-program logins and the bindings of WeChat users to ours. */
@Module({
  imports: [TypeOrmModule.forFeature([UserWechat]), SessionModule, ApiV2Module],
  controllers: [WechatController],
  providers: [WechatLoginService, Jscode2SessionClient],
})
export class WechatModule {}
