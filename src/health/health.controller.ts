import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse } from '../common/api-envelope';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { DatabaseProbe } from '../database/database-probe';
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
    private readonly database: DatabaseProbe,
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
  @ApiResponse({ status: 503, description: 'The database cannot be reached, or does not answer within a second' })
  async check(): Promise<Reply<HealthStatus>> {
    if (!(await this.database.isUp())) throw new AppException(503, 'error.databaseUnavailable', { status: 'error', database: 'down' });
    const redis = this.revocations.redisState();
    return new Reply('health.ok', { status: 'ok', database: 'up', ...(redis ? { redis } : {}) });
  }
}
