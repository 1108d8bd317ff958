import { CanActivate, Controller, ExecutionContext, Get, Header, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { invalidToken } from '../common/app.exception';
import { Public } from '../security/decorators';
import { MetricsConfig, metricsConfig } from './metrics.config';
import { carriesMetricsToken } from './metrics-token';
import { MetricsService } from './metrics.service';

/** The route's own check: METRICS_TOKEN, not an access token (the global guard lets it through as public). */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(metricsConfig.token) private readonly config: MetricsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { token } = this.config;
    if (token === undefined || !carriesMetricsToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization, token)) throw invalidToken();
    return true;
  }
}

/** Registered only with METRICS_TOKEN (MetricsModule): without it GET /metrics is an unknown route on this port. */
@ApiTags('Operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  @UseGuards(MetricsTokenGuard)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Prometheus text format. Requires `Authorization: Bearer <METRICS_TOKEN>` (not an access token); served only when METRICS_TOKEN is set.',
  })
  @ApiOkResponse({ description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ description: 'No METRICS_TOKEN, or another one.' })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
