import { DynamicModule, Module } from '@nestjs/common';
import { MetricsController, MetricsTokenGuard } from './metrics.controller';
import { MetricsListener } from './metrics-listener';
import { Metrics } from './metrics';
import type { MetricsConfig } from './metrics.config';
import { MetricsService } from './metrics.service';
import { RequestMetrics } from './request-metrics';

/**
 * GET /metrics and what it reports. Global: every service counts its outcomes through Metrics. The public
 * route exists only with METRICS_TOKEN; METRICS_PORT adds a listener of its own (MetricsListener).
 */
@Module({})
export class MetricsModule {
  static forRoot(config: MetricsConfig): DynamicModule {
    const providers = [Metrics, MetricsService, MetricsListener, MetricsTokenGuard, { provide: RequestMetrics, useValue: new RequestMetrics() }];
    return {
      module: MetricsModule,
      global: true,
      controllers: config.token !== undefined ? [MetricsController] : [],
      providers,
      exports: [Metrics, MetricsService, RequestMetrics],
    };
  }
}
