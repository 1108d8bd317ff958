import { Module } from '@nestjs/common';
import { DrainState } from './drain-state';
import { HealthLiveRoute } from './health-live.route';
import { HealthController } from './health.controller';

/** GET /health, /health/live and /health/ready, and the drain state main.ts sets at SIGTERM; the database probe and the revocation view come from global modules. */
@Module({
  controllers: [HealthController],
  providers: [HealthLiveRoute, DrainState],
  exports: [DrainState],
})
export class HealthModule {}
