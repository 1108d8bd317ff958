import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenGuard } from './access-token.guard';
import { Revocation } from './entities/revocation.entity';
import { SigningKey } from './entities/signing-key.entity';
import { KeyService } from './key.service';
import { KeysController } from './keys.controller';
import { Limits } from './limits';
import { PasswordService } from './password.service';
import { RevocationService } from './revocation.service';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [JwtModule.register({}), TypeOrmModule.forFeature([Revocation, SigningKey])],
  controllers: [KeysController],
  providers: [KeyService, TokenService, PasswordService, RevocationService, AccessTokenGuard, Limits, { provide: APP_GUARD, useExisting: AccessTokenGuard }],
  exports: [KeyService, TokenService, PasswordService, RevocationService, AccessTokenGuard, Limits],
})
export class SecurityModule {}
