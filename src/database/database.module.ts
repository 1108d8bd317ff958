import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app.config';
import { dataSourceOptions } from './data-source';
import { ReadCaches } from './read-cache';
import { SeedService } from './seed.service';
import { Transactions } from './transactions';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config),
          // Fail the start at once instead of retrying for half a minute.
          retryAttempts: 0,
        }),
      ],
      providers: [Transactions, SeedService, ReadCaches],
      exports: [Transactions, ReadCaches],
    };
  }
}
