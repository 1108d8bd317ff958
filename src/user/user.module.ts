import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoleModule } from '../role/role.module';
import { SessionModule } from '../session/session.module';
import { User } from './entities/user.entity';
import { MintController } from './mint.controller';
import { MintService } from './mint.service';
import { UserController } from './user.controller';
import { UserSeed } from './user.seed';
import { UserService } from './user.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), SessionModule, RoleModule],
  controllers: [UserController, MintController],
  providers: [UserService, MintService, UserSeed],
})
export class UserModule {}
