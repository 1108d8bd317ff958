import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Metric, MetricObjectWithValues, MetricValue, MetricValueWithName, Registry } from 'prom-client';
import { DatabaseProbe } from '../database/database-probe';
import { Transactions } from '../database/transactions';
import { RevocationService } from '../security/revocation.service';
import { ActiveSessions } from './active-sessions';
import { Metrics } from './metrics';
import { MetricsConfig, metricsConfig, metricsEnabled } from './metrics.config';
import { LATENCY_BOUNDS_MS, RequestMetrics } from './request-metrics';

type RequestLabels = 'method' | 'route' | 'status';

/** The bounds as Prometheus labels them: seconds, then +Inf. */
const BUCKET_LABELS = [...LATENCY_BOUNDS_MS.map((ms) => String(ms / 1000)), '+Inf'];

/**
 * A metric the registry reads through get() alone, as it reads its own: the request series are plain numbers
 * (RequestMetrics), turned into samples only when scraped.
 */
function scrapedMetric(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => Array<MetricValue<RequestLabels> | MetricValueWithName<RequestLabels>>,
): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async (): Promise<MetricObjectWithValues<MetricValue<RequestLabels>>> =>
      ({ name, help, type, aggregator: 'sum', values: values() }) as unknown as MetricObjectWithValues<MetricValue<RequestLabels>>,
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}

/**
 * The one registry GET /metrics renders: the services' counters (Metrics), the requests by route and status
 * (RequestMetrics), gauges read at scrape time (active sessions, the database pool, the revocation view's
 * lag) and prom-client's default process metrics, the event loop's lag among them.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly activeSessions: ActiveSessions;

  constructor(
    @Inject(metricsConfig.token) config: MetricsConfig,
    metrics: Metrics,
    private readonly requests: RequestMetrics,
    private readonly database: DatabaseProbe,
    private readonly revocations: RevocationService,
    transactions: Transactions,
  ) {
    this.activeSessions = new ActiveSessions(transactions.reader);
    for (const counter of metrics.counters()) this.registry.registerMetric(counter);
    this.registerRequestMetrics();
    this.registerGauges();
    // The default metrics sample the event loop continuously: only when someone can read them.
    if (metricsEnabled(config)) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private registerRequestMetrics(): void {
    this.registry.registerMetric(
      scrapedMetric('identity_http_requests_total', 'HTTP requests answered, by method, route pattern and status', 'counter', () =>
        this.requests
          .all()
          .flatMap((series) =>
            [...series.cells.values()].map((cell) => ({ labels: { method: series.method, route: series.route, status: cell.status }, value: cell.count })),
          ),
      ),
    );
    this.registry.registerMetric(
      scrapedMetric(
        'identity_http_request_duration_seconds',
        'Time from routing to the last byte of the answer, by method, route pattern and status',
        'histogram',
        () =>
          this.requests.all().flatMap((series) =>
            [...series.cells.values()].flatMap((cell) => {
              const labels = { method: series.method, route: series.route, status: cell.status };
              let cumulative = 0;
              const buckets = BUCKET_LABELS.map((le, i) => {
                cumulative += cell.buckets[i];
                return { metricName: 'identity_http_request_duration_seconds_bucket', labels: { ...labels, le }, value: cumulative };
              });
              return [
                ...buckets,
                { metricName: 'identity_http_request_duration_seconds_sum', labels, value: cell.sumMs / 1000 },
                { metricName: 'identity_http_request_duration_seconds_count', labels, value: cell.count },
              ] as Array<MetricValueWithName<RequestLabels>>;
            }),
          ),
      ),
    );
  }

  private registerGauges(): void {
    const activeSessions = this.activeSessions;
    new Gauge({
      name: 'identity_active_sessions',
      help: `Sessions neither revoked nor expired, by type (counted every few seconds at most; the count stops at 1000000)`,
      labelNames: ['type'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await activeSessions.byType();
        for (const [type, count] of counts ?? []) this.set({ type }, count);
      },
    });
    const database = this.database;
    // Decided once: the database type does not change while the server runs.
    if (database.poolUse()) this.registerPoolGauges();
    const revocations = this.revocations;
    if (revocations.viewLagMs() === undefined) return;
    new Gauge({
      name: 'identity_revocation_view_lag_seconds',
      help: 'Seconds since the in-memory revocation view was last known complete: 0 while Redis delivers, else since the last read of the revocation log began; absent with REVOCATION_POLL_MS=0 and no REDIS_URL',
      registers: [this.registry],
      collect() {
        this.set((revocations.viewLagMs() ?? 0) / 1000);
      },
    });
  }

  /** MySQL only: SQLite runs in this process, with no pool to wait for. */
  private registerPoolGauges(): void {
    const database = this.database;
    new Gauge({
      name: 'identity_db_pool_connections',
      help: 'MySQL connection pool: open connections (all), idle ones (free), requests waiting for one (queued)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const pool = database.poolUse();
        if (!pool) return;
        this.set({ state: 'all' }, pool.all);
        this.set({ state: 'free' }, pool.free);
        this.set({ state: 'queued' }, pool.queued);
      },
    });
    new Gauge({
      name: 'identity_db_pool_max_connections',
      help: 'MySQL connection pool: its limit (DB_POOL_SIZE)',
      registers: [this.registry],
      collect() {
        const pool = database.poolUse();
        if (pool) this.set(pool.limit);
      },
    });
  }
}
