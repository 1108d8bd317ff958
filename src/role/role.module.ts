import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PermissionModule } from '../permission/permission.module';
import { Role } from './entities/role.entity';
import { RoleController } from './role.controller';
import { RoleSeed } from './role.seed';
import { RoleService } from './role.service';
import { UserScopes } from './user-scopes';

@Module({
  imports: [TypeOrmModule.forFeature([Role]), PermissionModule],
  controllers: [RoleController],
  providers: [RoleService, RoleSeed, UserScopes],
  exports: [RoleSeed, UserScopes],
})
export class RoleModule {}
