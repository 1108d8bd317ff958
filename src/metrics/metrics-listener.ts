import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { envelope } from '../common/envelope';
import { message, preferredLanguage } from '../common/messages';
import { MetricsConfig, metricsConfig } from './metrics.config';
import { carriesMetricsToken } from './metrics-token';
import { MetricsService } from './metrics.service';

/**
 * METRICS_PORT: a plain listener of its own that serves GET /metrics and nothing else, for a scraper on a
 * network the public port is not on. Without METRICS_TOKEN it asks for none; with it, as the public route.
 * Open from start to the very end of a shutdown, so that a drain can be watched.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsListener.name);
  private server?: Server;

  constructor(
    @Inject(metricsConfig.token) private readonly config: MetricsConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** The port it listens on (METRICS_PORT), once listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config;
    if (port === undefined) return;
    const server = createServer((request, response) => void this.answer(request, response));
    // Scrapers keep their connection; a shutdown must not wait for them.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`Metrics on http://${host}:${port}/metrics${this.config.token ? ' (METRICS_TOKEN required)' : ''}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    const { token } = this.config;
    if (token !== undefined && !carriesMetricsToken(request.headers.authorization, token)) {
      const text = message('error.invalidToken', preferredLanguage(request.headers['accept-language']));
      response
        .writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer', 'cache-control': 'no-store' })
        .end(JSON.stringify(envelope(401, text, null)));
      return;
    }
    try {
      const body = await this.metrics.scrape();
      response.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error(`metrics scrape failed: ${(error as Error).message}`);
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Scrape failed\n');
    }
  }
}
