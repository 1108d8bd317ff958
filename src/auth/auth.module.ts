import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController, TokenCheckController } from './auth.controller';
import { AuthService } from './auth.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { LoginThrottle } from './login-throttle';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken])],
  controllers: [AuthController, TokenCheckController],
  providers: [AuthService, LoginThrottle],
  exports: [AuthService],
})
export class AuthModule {}
