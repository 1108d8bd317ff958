import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module';
import { AuthController, TokenCheckController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';

@Module({
  imports: [SessionModule],
  controllers: [AuthController, TokenCheckController],
  providers: [AuthService, LoginThrottle],
})
export class AuthModule {}
