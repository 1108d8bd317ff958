import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify's own key of a request's route context, whose `config` holds the route's method and URL pattern.
 * Read directly because `request.routeOptions` builds a new object on every call, which the benchmarked
 * GET /test cannot afford; checked at start (requestRouteContextKey) so that a Fastify that renames it fails
 * loudly rather than counting every request as unmatched.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kRouteContext } = require('fastify/lib/symbols.js') as { kRouteContext: unknown };
if (typeof kRouteContext !== 'symbol') throw new Error('fastify/lib/symbols.js has no kRouteContext: request metrics need updating for this Fastify');
const ROUTE_CONTEXT: symbol = kRouteContext;

/** Where a route's series is kept: on the route context's config, which Fastify builds once per route. */
const SERIES = Symbol('request metrics series');

/** Upper bounds of the latency buckets, in milliseconds (exported in seconds, as Prometheus expects). */
export const LATENCY_BOUNDS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** The route label of requests that matched no route: no raw URL ever becomes a label. */
export const UNMATCHED_ROUTE = 'unmatched';

/** One route and status: a count, a sum and per-bucket counts (not cumulative; summed at scrape). */
export class StatusCell {
  count = 0;
  sumMs = 0;
  readonly buckets = new Float64Array(LATENCY_BOUNDS_MS.length + 1);

  constructor(readonly status: number) {}

  observe(ms: number): void {
    this.count++;
    this.sumMs += ms;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]) i++;
    this.buckets[i]++;
  }
}

/** One route (method and URL pattern): its cells by status, the last one used kept at hand. */
export class RouteSeries {
  private last: StatusCell | undefined;
  readonly cells = new Map<number, StatusCell>();

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  observe(status: number, ms: number): void {
    let cell = this.last;
    if (cell === undefined || cell.status !== status) {
      cell = this.cells.get(status);
      if (cell === undefined) this.cells.set(status, (cell = new StatusCell(status)));
      this.last = cell;
    }
    cell.observe(ms);
  }
}

interface RouteConfig {
  url?: string;
  method?: string | string[];
  [SERIES]?: RouteSeries;
}

/**
 * Requests by route and status, with their latency: plain numbers kept per route, so that a request costs a
 * few property reads and additions, no label lookup nor allocation; the registry reads them at scrape
 * (MetricsService). Each route's series is made at its first request and kept on its Fastify route config.
 */
export class RequestMetrics {
  private readonly series: RouteSeries[] = [];
  private readonly unmatched = new Map<string, RouteSeries>();

  /** A request has been answered (or its connection failed): Fastify's time from routing to the last byte. */
  completed(request: FastifyRequest, reply: FastifyReply): void {
    const config = (request as unknown as Record<symbol, { config?: RouteConfig } | undefined>)[ROUTE_CONTEXT]?.config;
    const series = config?.[SERIES] ?? this.seriesOf(config, request.method);
    series.observe(reply.statusCode, reply.elapsedTime);
  }

  /** Every series so far, for the scrape. */
  all(): readonly RouteSeries[] {
    return this.series;
  }

  private seriesOf(config: RouteConfig | undefined, requestMethod: string): RouteSeries {
    if (config?.url === undefined) {
      // The 404 handler's context is shared by every unmatched request: one series per method, and methods
      // are bounded by what Node's parser accepts.
      let series = this.unmatched.get(requestMethod);
      if (!series) {
        series = new RouteSeries(requestMethod, UNMATCHED_ROUTE);
        this.unmatched.set(requestMethod, series);
        this.series.push(series);
      }
      return series;
    }
    const method = Array.isArray(config.method) ? config.method.join(',') : (config.method ?? requestMethod);
    const series = new RouteSeries(method, config.url);
    config[SERIES] = series;
    this.series.push(series);
    return series;
  }
}

/**
 * Fastify calls its LogController's requestCompleted once for every request, whatever its route, as the
 * answer finishes (it logs "request completed" there when LOG_REQUESTS is on): counting requests there costs
 * no hook of its own on any route. Without metrics (`requests` unset) it is Fastify's own controller.
 */
export class MeteredLogController extends LogController {
  requests: RequestMetrics | undefined;

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.requests !== undefined) this.requests.completed(request, reply);
    super.requestCompleted(error, request, reply, metadata);
  }
}
