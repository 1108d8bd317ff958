import { Module } from '@nestjs/common';
import { AuthController, TokenCheckController } from './auth.controller';
import { AuthService } from './auth.service';

@Module({
  controllers: [AuthController, TokenCheckController],
  providers: [AuthService],
  exports: [AuthService],
})
export class AuthModule {}
