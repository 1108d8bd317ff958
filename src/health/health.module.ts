import { Module } from '@nestjs/common';
import { HealthLiveRoute } from './health-live.route';
import { HealthController } from './health.controller';

/** GET /health, /health/live and /health/ready; the database probe and the revocation view come from global modules. */
@Module({
  controllers: [HealthController],
  providers: [HealthLiveRoute],
})
export class HealthModule {}
