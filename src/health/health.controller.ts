import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse } from '../common/api-envelope';
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

export class HealthStatusDto implements HealthStatus {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
  @ApiProperty({ enum: ['up'], example: 'up' }) database!: 'up';
  @ApiPropertyOptional({ enum: ['up', 'down'], example: 'up', description: 'Only with REDIS_URL' }) redis?: 'up' | 'down';
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
  @ApiEnvelopeResponse(200, HealthStatusDto, {
    message: '服务正常',
    description: '`redis` is present only with REDIS_URL; when it is down, revocations travel through the database log alone',
    example: { status: 'ok', database: 'up', redis: 'up' },
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
