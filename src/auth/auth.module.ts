import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module';
import { AuthController, TokenCheckController } from './auth.controller';
import { TokenCheckRoute } from './token-check.route';
import { AuthService } from './auth.service';
import { LoginLimits } from './login-limits';
import { V1SessionPresenter } from './v1-session.presenter';

@Module({
  imports: [SessionModule],
  controllers: [AuthController, TokenCheckController],
  providers: [AuthService, LoginLimits, V1SessionPresenter, TokenCheckRoute],
  // Other families that open v1 sessions hand out the v1 refresh cookie and login answer through it.
  // The api/v2 login counts its failures with the same throttle, so switching family gains an attacker nothing.
  exports: [V1SessionPresenter, LoginLimits],
})
export class AuthModule {}
