import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { APP_CONFIG, AppConfig } from './config/app.config';
import { DatabaseModule } from './database/database.module';
import { DeptModule } from './dept/dept.module';
import { HealthController } from './health/health.controller';
import { PermissionModule } from './permission/permission.module';
import { RoleModule } from './role/role.module';
import { SessionModule } from './session/session.module';
import { UserModule } from './user/user.module';
import { SecurityModule } from './security/security.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [DatabaseModule.forRoot(config), SecurityModule, AuditModule, AuthModule, UserModule, RoleModule, PermissionModule, DeptModule, SessionModule],
      controllers: [HealthController],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
