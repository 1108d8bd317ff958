import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PermissionModule } from '../permission/permission.module';
import { Role } from './entities/role.entity';
import { RoleController } from './role.controller';
import { RoleSeed } from './role.seed';
import { RoleService } from './role.service';

@Module({
  imports: [TypeOrmModule.forFeature([Role]), PermissionModule],
  controllers: [RoleController],
  providers: [RoleService, RoleSeed],
  exports: [RoleSeed],
})
export class RoleModule {}
