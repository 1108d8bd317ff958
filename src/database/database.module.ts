import { DynamicModule, Global, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { boundedMysqlOf } from './bounded-mysql';
import { dataSourceOptions, MigratingDataSource } from './data-source';
import type { DatabaseConfig } from './database.config';
import { DatabaseProbe } from './database-probe';
import { RateLimitStore } from './rate-limit-store';
import { ReadCaches } from './read-cache';
import { Transactions } from './transactions';

@Global()
@Module({})
export class DatabaseModule implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  static forRoot(database: DatabaseConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(database),
            // The entities the feature modules register with TypeOrmModule.forFeature().
            autoLoadEntities: true,
            // Fail the start at once instead of retrying for half a minute.
            retryAttempts: 0,
          }),
          // Migrations one instance at a time.
          dataSourceFactory: async (options) => new MigratingDataSource(options!),
        }),
      ],
      providers: [Transactions, ReadCaches, DatabaseProbe, RateLimitStore],
      exports: [Transactions, ReadCaches, DatabaseProbe, RateLimitStore],
    };
  }

  /** The migrations have run by now (they may take long); what the requests ask is bounded from here on. */
  onModuleInit(): void {
    boundedMysqlOf(this.dataSource)?.startBounding();
  }
}
