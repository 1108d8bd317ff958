import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse } from '../common/api-envelope';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { DatabaseProbe } from '../database/database-probe';
import { Public } from '../security/decorators';
import { RevocationService } from '../security/revocation.service';
import { DrainState } from './drain-state';

export interface HealthStatus {
  status: 'ok';
  database: 'up';
  /** Only with REDIS_URL. Down is not unhealthy: revocations then travel through the database log alone. */
  redis?: 'up' | 'down';
  /** Milliseconds since this instance last read the revocation log; absent when it does not poll it (REVOCATION_POLL_MS=0). */
  revocationLagMs?: number;
}

export interface Liveness {
  status: 'ok';
}

/** What GET /health/live answers, always: the process runs and its event loop turns. */
export const LIVE: Liveness = { status: 'ok' };

export class HealthStatusDto implements HealthStatus {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
  @ApiProperty({ enum: ['up'], example: 'up' }) database!: 'up';
  @ApiPropertyOptional({ enum: ['up', 'down'], example: 'up', description: 'Only with REDIS_URL' }) redis?: 'up' | 'down';
  @ApiPropertyOptional({ example: 180, description: 'Milliseconds since the revocation log was last read; absent with REVOCATION_POLL_MS=0' })
  revocationLagMs?: number;
}

export class LivenessDto implements Liveness {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
}

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseProbe,
    private readonly revocations: RevocationService,
    private readonly drain: DrainState,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database readiness' })
  @ApiEnvelopeResponse(200, HealthStatusDto, {
    message: '服务正常',
    description: '`redis` is present only with REDIS_URL; when it is down, revocations travel through the database log alone',
    example: { status: 'ok', database: 'up', redis: 'up', revocationLagMs: 180 },
  })
  @ApiResponse({
    status: 503,
    description:
      'The database cannot be reached or does not answer within a second, or this instance has not been able to read the revocation log for a few poll periods, or it is shutting down (SIGTERM received; `data.status` is `draining`)',
  })
  check(): Promise<Reply<HealthStatus>> {
    return this.readiness();
  }

  /** The same answer as GET /health, under the name orchestrators expect for a readiness probe. */
  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers and the revocation log is current (as GET /health)' })
  @ApiEnvelopeResponse(200, HealthStatusDto, {
    message: '服务正常',
    example: { status: 'ok', database: 'up', redis: 'up', revocationLagMs: 180 },
  })
  @ApiResponse({ status: 503, description: 'As GET /health: the database is down or slow, the revocation log is behind, or the instance is shutting down' })
  ready(): Promise<Reply<HealthStatus>> {
    return this.readiness();
  }

  private async readiness(): Promise<Reply<HealthStatus>> {
    // Still serving, but leaving: the load balancer should send the next requests elsewhere.
    if (this.drain.isDraining) throw new AppException('error.draining', { status: 'draining' });
    const lagMs = this.revocations.lagMs();
    const lag = lagMs === undefined ? {} : { revocationLagMs: lagMs };
    if (!(await this.database.isUp())) throw new AppException('error.databaseUnavailable', { status: 'error', database: 'down', ...lag });
    // Tokens revoked elsewhere may still be accepted here until the log has been read again.
    if (!this.revocations.isCurrent()) throw new AppException('error.revocationsBehind', { status: 'error', database: 'up', ...lag });
    const redis = this.revocations.redisState();
    return new Reply('health.ok', { status: 'ok', database: 'up', ...(redis ? { redis } : {}), ...lag });
  }

  /** Answered by HealthLiveRoute before Nest's pipeline, with the body this method returns. */
  @Get('live')
  @Public()
  @ApiOperation({
    summary: 'Liveness: the process answers',
    description: 'Touches neither the database nor anything else: for a liveness probe that restarts a stuck process, polled as often as wanted.',
  })
  @ApiEnvelopeResponse(200, LivenessDto, { message: '服务正常', example: LIVE })
  live(): Reply<Liveness> {
    return new Reply('health.ok', LIVE);
  }
}
