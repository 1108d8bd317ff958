import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { Public } from '../security/decorators';
import { RevocationService } from '../security/revocation.service';

export interface HealthStatus {
  status: 'ok';
  database: 'up';
  /** Only with REDIS_URL. Down is not unhealthy: revocations then travel through the database log alone. */
  redis?: 'up' | 'down';
}

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database readiness' })
  @ApiOkResponse({
    description: '`redis` is present only with REDIS_URL; when it is down, revocations travel through the database log alone',
    schema: { example: { code: 200, message: '服务正常', msg: '服务正常', data: { status: 'ok', database: 'up', redis: 'up' } } },
  })
  @ApiResponse({ status: 503, description: 'The database cannot be reached' })
  async check(): Promise<Reply<HealthStatus>> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new AppException(503, 'error.databaseUnavailable', { status: 'error', database: 'down' });
    }
    const redis = this.revocations.redisState();
    return new Reply('health.ok', { status: 'ok', database: 'up', ...(redis ? { redis } : {}) });
  }
}
