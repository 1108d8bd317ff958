import { Injectable } from '@nestjs/common';

/**
 * Whether this instance is shutting down: set at SIGTERM (main.ts). From then on GET /health/ready (and
 * GET /health) answer 503 so that load balancers stop sending, while requests are still served and
 * GET /health/live stays 200: the process is sound, only leaving.
 */
@Injectable()
export class DrainState {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }
}
