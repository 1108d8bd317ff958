import { DynamicModule, Module } from '@nestjs/common';
import { ApiV2Module } from './api-v2/api-v2.module';
import { AppConfig, configProviders } from './app.config';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { DatabaseModule } from './database/database.module';
import { DeptModule } from './dept/dept.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PermissionModule } from './permission/permission.module';
import { RoleModule } from './role/role.module';
import { SessionModule } from './session/session.module';
import { UserModule } from './user/user.module';
import { SecurityModule } from './security/security.module';
import { TokenLoginModule } from './token-login/token-login.module';
import { TicketModule } from './ticket/ticket.module';
import { WechatModule } from './wechat/wechat.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    // Each feature's configuration slice under its token, global like this module.
    const configuration = configProviders(config);
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config.database),
        SecurityModule,
        AuditModule,
        AuthModule,
        UserModule,
        RoleModule,
        PermissionModule,
        DeptModule,
        SessionModule,
        TokenLoginModule,
        TicketModule,
        WechatModule,
        ApiV2Module,
        HealthModule,
        MetricsModule.forRoot(config.metrics),
      ],
      providers: configuration,
      exports: configuration.map((provider) => provider.provide),
    };
  }
}
