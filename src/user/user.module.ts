import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MintController } from './mint.controller';
import { MintService } from './mint.service';
import { UserController } from './user.controller';
import { UserService } from './user.service';

@Module({
  imports: [AuthModule],
  controllers: [UserController, MintController],
  providers: [UserService, MintService],
})
export class UserModule {}
