import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { LATENCY_BOUNDS_MS, MeteredLogController, RequestMetrics, RouteSeries, UNMATCHED_ROUTE } from './request-metrics';

/** Each series as `METHOD route status → count`. */
function counts(requests: RequestMetrics): Record<string, number> {
  const table: Record<string, number> = {};
  for (const series of requests.all()) for (const cell of series.cells.values()) table[`${series.method} ${series.route} ${cell.status}`] = cell.count;
  return table;
}

describe('request metrics', () => {
  it('counts every request by route pattern and status through the log controller, unmatched ones apart', async () => {
    const controller = new MeteredLogController({ disableRequestLogging: true });
    const requests = new RequestMetrics();
    controller.requests = requests;
    // With a logger, as the server has one: Fastify then watches every answer finish (without one, only routes with onResponse hooks).
    const fastify = Fastify({ logController: controller, logger: { level: 'silent' } });
    fastify.get('/user/:uid', async (request, reply) => reply.code((request.params as { uid: string }).uid === '7' ? 200 : 404).send({}));
    fastify.post('/login', async (_request, reply) => reply.code(401).send({}));
    await fastify.ready();
    for (const url of ['/user/7', '/user/7', '/user/8', '/nothing/here/7']) await fastify.inject({ method: 'GET', url });
    await fastify.inject({ method: 'POST', url: '/login' });
    await fastify.inject({ method: 'HEAD', url: '/user/7' });
    await fastify.close();
    assert.deepEqual(counts(requests), {
      'GET /user/:uid 200': 2,
      'GET /user/:uid 404': 1,
      [`GET ${UNMATCHED_ROUTE} 404`]: 1,
      'POST /login 401': 1,
      'HEAD /user/:uid 200': 1,
    });
  });

  it('counts nothing while no RequestMetrics is attached', async () => {
    const controller = new MeteredLogController({ disableRequestLogging: true });
    const fastify = Fastify({ logController: controller, logger: { level: 'silent' } });
    fastify.get('/', async () => 'ok');
    assert.equal((await fastify.inject({ method: 'GET', url: '/' })).statusCode, 200);
    await fastify.close();
  });

  it('puts each latency in the first bucket whose bound it does not exceed, +Inf beyond the last', () => {
    const series = new RouteSeries('GET', '/x');
    for (const ms of [0.2, 1, 1.01, 9999, 10000, 10001, 60000]) series.observe(200, ms);
    const cell = series.cells.get(200)!;
    const expected = new Array(LATENCY_BOUNDS_MS.length + 1).fill(0);
    expected[0] = 2; // 0.2 and 1 ms: at most 1 ms
    expected[1] = 1; // 1.01 ms: at most 2.5 ms
    expected[LATENCY_BOUNDS_MS.length - 1] = 2; // 9999 and 10000 ms: at most 10 s
    expected[LATENCY_BOUNDS_MS.length] = 2; // beyond
    assert.deepEqual([...cell.buckets], expected);
    assert.equal(cell.count, 7);
    assert.equal(cell.sumMs, 0.2 + 1 + 1.01 + 9999 + 10000 + 10001 + 60000);
  });
});
