import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionModule } from '../session/session.module';
import { SsoLoginCode } from './entities/sso-login-code.entity';
import { SsoPartner } from './entities/sso-partner.entity';
import { SsoTokenUse } from './entities/sso-token-use.entity';
import { ExchangeController } from './exchange.controller';
import { LoginCodeStore } from './login-code.store';
import { PartnerController } from './partner.controller';
import { PartnerService } from './partner.service';
import { SsoSessionPresenter } from './sso-session.presenter';
import { TokenLoginController } from './token-login.controller';
import { TokenLoginService } from './token-login.service';
import { TokenUseStore } from './token-use.store';

/** Partner single sign-on: the partners, GET /account/tokenLogin.do and POST /auth/exchange. */
@Module({
  imports: [TypeOrmModule.forFeature([SsoPartner, SsoTokenUse, SsoLoginCode]), SessionModule, AuthModule],
  controllers: [PartnerController, TokenLoginController, ExchangeController],
  providers: [PartnerService, TokenLoginService, TokenUseStore, LoginCodeStore, SsoSessionPresenter],
})
export class TokenLoginModule {}
