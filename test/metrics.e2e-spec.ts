import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { as, login, refresh, USER_AGENT } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { freePort } from './support/free-port';
import { createPartner, documentClaims, signHs256, tokenLogin, userWithContacts } from './support/sso';
import { createTicket, uniqueGateway } from './support/tickets';
import { NO_ADDRESS_LIMITS, testDatabases, type TestApp } from './support/test-app';
import { uniqueName } from './support/users';

/** One sample of the text format: its name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; 0 when there is none yet. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string | number> = {}): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === String(value)));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} names one series, not ${found.length}`);
  return found[0]?.value ?? 0;
}

async function scrape(t: Pick<TestApp, 'http' | 'config'>): Promise<Sample[]> {
  const response = await t.http().get('/metrics').set('Authorization', `Bearer ${t.config.metrics.token}`);
  assert.equal(response.status, 200, response.text);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8$/);
  assert.equal(response.headers['cache-control'], 'no-store');
  return parse(response.text);
}

/** Every counter of the services, by its labels: the difference between two scrapes. */
function delta(before: Sample[], after: Sample[], name: string, labels: Record<string, string>): number {
  return valueOf(after, name, labels) - valueOf(before, name, labels);
}

for (const database of testDatabases()) {
  describe(`metrics on ${database.name}`, () => {
    // Two failures lock a login name out; a refresh token replayed at once is reuse, not a race.
    const t = withApp(database, { ...NO_ADDRESS_LIMITS, LOGIN_MAX_FAILURES: '2', REFRESH_REUSE_GRACE: '0' });

    it('counts logins, refreshes, revocations, mints, SSO logins and ticket changes: the exact deltas', async () => {
      const partner = await createPartner(t.admin);
      const person = await userWithContacts(t, t.admin);
      const before = await scrape(t);

      // Logins: one accepted, two refused, then the throttle refuses before any check.
      const session = await login(t);
      const victim = uniqueName();
      for (let i = 0; i < 2; i++) assert.equal((await t.http().post('/auth/login').send({ username: victim, password: 'Wrong-Password-1' })).status, 401);
      assert.equal((await t.http().post('/auth/login').send({ username: victim, password: 'Wrong-Password-1' })).status, 429);

      // Refreshes: one rotation, a copy that differs, then the old token again (reuse ends the session).
      const rotated = await refresh(t, session.refreshToken);
      assert.equal(rotated.status, 204, rotated.text);
      const mismatched = await t
        .http()
        .post('/auth/session')
        .set('User-Agent', USER_AGENT)
        .set('Cookie', `token=${session.refreshToken}`)
        .set('X-Refresh-Token', 'something-else');
      assert.equal(mismatched.status, 401);
      assert.equal((await refresh(t, session.refreshToken)).status, 401);

      // A logout, a minted token, and a partner sign-in accepted and one refused.
      const other = await login(t);
      assert.equal((await as(t, other.accessToken).post('/auth/logout')).status, 200);
      assert.equal((await t.admin.post('/user/generateJwt', { subject: 'device-1', authorities: [] })).status, 200);
      assert.equal((await tokenLogin(t, signHs256(partner.secret!, documentClaims(person.email)))).status, 302);
      assert.equal((await tokenLogin(t, signHs256('not-the-secret', documentClaims(person.email)))).status, 401);

      // A ticket created, rotated and deleted.
      const ticket = await createTicket(t.admin, { name: uniqueName('t'), gatewayId: uniqueGateway() });
      assert.equal((await t.admin.post(`/v1/auth/${ticket.id}/rotate`)).status, 200);
      assert.equal((await t.admin.delete(`/v1/auth/${ticket.id}`)).status, 200);

      const after = await scrape(t);
      const changes = {
        'logins ok': delta(before, after, 'identity_logins_total', { result: 'ok' }),
        'logins failed': delta(before, after, 'identity_logins_total', { result: 'failed' }),
        'logins throttled': delta(before, after, 'identity_logins_total', { result: 'throttled' }),
        'refreshes ok': delta(before, after, 'identity_refreshes_total', { result: 'ok' }),
        'refreshes mismatch': delta(before, after, 'identity_refreshes_total', { result: 'mismatch' }),
        'refreshes reuse': delta(before, after, 'identity_refreshes_total', { result: 'reuse' }),
        'refreshes invalid': delta(before, after, 'identity_refreshes_total', { result: 'invalid' }),
        'revocations refresh_reuse': delta(before, after, 'identity_revocations_total', { reason: 'refresh_reuse' }),
        'revocations logout': delta(before, after, 'identity_revocations_total', { reason: 'logout' }),
        'revocations kickout': delta(before, after, 'identity_revocations_total', { reason: 'kickout' }),
        'mints minted': delta(before, after, 'identity_tokens_minted_total', { type: 'minted' }),
        'mints personal': delta(before, after, 'identity_tokens_minted_total', { type: 'personal' }),
        'sso ok': delta(before, after, 'identity_sso_logins_total', { result: 'ok' }),
        'sso bad_signature': delta(before, after, 'identity_sso_logins_total', { result: 'bad_signature' }),
        'tickets created': delta(before, after, 'identity_ticket_changes_total', { change: 'created' }),
        'tickets updated': delta(before, after, 'identity_ticket_changes_total', { change: 'updated' }),
        'tickets rotated': delta(before, after, 'identity_ticket_changes_total', { change: 'rotated' }),
        'tickets deleted': delta(before, after, 'identity_ticket_changes_total', { change: 'deleted' }),
      };
      assert.deepEqual(changes, {
        // The two administrator logins; the partner sign-in is an SSO login, not one of these.
        'logins ok': 2,
        'logins failed': 2,
        'logins throttled': 1,
        'refreshes ok': 1,
        'refreshes mismatch': 1,
        'refreshes reuse': 1,
        'refreshes invalid': 0,
        'revocations refresh_reuse': 1,
        'revocations logout': 1,
        'revocations kickout': 0,
        'mints minted': 1,
        'mints personal': 0,
        'sso ok': 1,
        'sso bad_signature': 1,
        'tickets created': 1,
        'tickets updated': 0,
        'tickets rotated': 1,
        'tickets deleted': 1,
      });
    });

    it('counts requests by route pattern and status, never by raw URL, with a consistent latency histogram', async () => {
      const user = await userWithContacts(t, t.admin);
      const missing = 2_000_000_000 - Math.floor(Math.random() * 1000);
      const before = await scrape(t);
      assert.equal((await t.admin.get(`/user/${user.id}`)).status, 200);
      assert.equal((await t.admin.get(`/user/${user.id}`)).status, 200);
      assert.equal((await t.admin.get(`/user/${missing}`)).status, 404);
      assert.equal((await as(t, t.adminSession.accessToken).get('/test')).status, 204);
      assert.equal((await t.http().get(`/no/such/route/${user.id}`)).status, 404);
      const after = await scrape(t);

      const requests = (route: string, status: number, method = 'GET') =>
        delta(before, after, 'identity_http_requests_total', { method, route, status: String(status) });
      assert.equal(requests('/user/:uid', 200), 2);
      assert.equal(requests('/user/:uid', 404), 1);
      assert.equal(requests('/test', 204), 1, 'the token check answered before Nest is counted too');
      assert.equal(requests('unmatched', 404), 1);
      for (const sample of after) {
        assert.ok(!String(sample.labels.route ?? '').includes(String(user.id)), `no raw URL as a label: ${JSON.stringify(sample.labels)}`);
        assert.ok(!String(sample.labels.route ?? '').includes(String(missing)), `no raw URL as a label: ${JSON.stringify(sample.labels)}`);
      }

      const labels = { method: 'GET', route: '/user/:uid', status: '200' };
      const count = valueOf(after, 'identity_http_request_duration_seconds_count', labels);
      assert.equal(count, valueOf(after, 'identity_http_requests_total', labels));
      assert.equal(valueOf(after, 'identity_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), count);
      const buckets = after.filter(
        (sample) =>
          sample.name === 'identity_http_request_duration_seconds_bucket' &&
          sample.labels.method === 'GET' &&
          sample.labels.route === '/user/:uid' &&
          sample.labels.status === '200',
      );
      assert.equal(buckets.length, 14, 'thirteen bounds and +Inf');
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative buckets');
      const sum = valueOf(after, 'identity_http_request_duration_seconds_sum', labels);
      assert.ok(sum > 0 && sum < count * 5, `a sum of ${sum} s over ${count} requests`);
    });

    it('reports active sessions as the database counts them, the revocation view and the event loop', async () => {
      await login(t);
      const counted = async () => {
        const rows = (await t.dataSource.query(`SELECT type, COUNT(*) AS n FROM auth_session WHERE revoked_at IS NULL AND expires_at > ? GROUP BY type`, [
          new Date().toISOString().slice(0, 23).replace('T', ' '),
        ])) as Array<{ type: string; n: number | string }>;
        return Object.fromEntries(rows.map((row) => [row.type, Number(row.n)]));
      };
      // The count is cached for five seconds: polled until it has caught up with the sessions opened above.
      let reported: Record<string, number> = {};
      let expected: Record<string, number> = {};
      for (let attempt = 0; attempt < 30; attempt++) {
        expected = await counted();
        const samples = await scrape(t);
        reported = Object.fromEntries(
          samples.filter((sample) => sample.name === 'identity_active_sessions').map((sample) => [sample.labels.type, sample.value]),
        );
        if (JSON.stringify(reported) === JSON.stringify(expected)) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.deepEqual(reported, expected);
      assert.ok((expected.password ?? 0) >= 1);

      const samples = await scrape(t);
      const lag = valueOf(samples, 'identity_revocation_view_lag_seconds');
      assert.ok(lag >= 0 && lag < 3, `the revocation log is read every 500 ms: ${lag} s`);
      assert.ok(
        samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds'),
        'prom-client default metrics: the event loop lag',
      );
      const pool = samples.filter((sample) => sample.name.startsWith('identity_db_pool_'));
      if (database.name === 'sqlite') {
        assert.deepEqual(pool, [], 'SQLite has no pool');
      } else {
        assert.equal(valueOf(samples, 'identity_db_pool_max_connections'), 10, 'DB_POOL_SIZE');
        const all = valueOf(samples, 'identity_db_pool_connections', { state: 'all' });
        const free = valueOf(samples, 'identity_db_pool_connections', { state: 'free' });
        assert.ok(all >= 1 && all <= 10, `${all} open connections`);
        assert.ok(free >= 0 && free <= all, `${free} free of ${all}`);
        assert.equal(valueOf(samples, 'identity_db_pool_connections', { state: 'queued' }), 0);
      }
    });

    it('answers 401 in the envelope, with WWW-Authenticate, without METRICS_TOKEN or with another token', async () => {
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        `Bearer ${t.adminSession.accessToken}`,
        `Basic ${t.config.metrics.token}`,
        `Bearer ${t.config.metrics.token}x`,
      ]) {
        let request = t.http().get('/metrics');
        if (authorization) request = request.set('Authorization', authorization);
        const response = await request;
        assert.equal(response.status, 401, `${authorization}: ${response.text}`);
        assert.equal(response.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(response.body, { code: 401, message: 'Invalid access token.', msg: 'Invalid access token.', data: null });
        assert.doesNotMatch(response.text, /identity_/);
      }
    });

    it('without METRICS_TOKEN nor METRICS_PORT: /metrics is 404 exactly like an unknown route', async () => {
      const plain = await t.restart({ METRICS_TOKEN: '' });
      for (const authorization of [undefined, `Bearer ${t.config.metrics.token}`]) {
        const get = (path: string) => (authorization ? plain.http().get(path).set('Authorization', authorization) : plain.http().get(path));
        const [metrics, unknown] = [await get('/metrics'), await get('/metricz')];
        assert.equal(metrics.status, 404);
        assert.deepEqual(metrics.body, unknown.body);
        const headers = (response: typeof metrics) => {
          const { date: _date, 'x-request-id': _id, ...rest } = response.headers;
          return rest;
        };
        assert.deepEqual(headers(metrics), headers(unknown));
      }
    });

    it('METRICS_PORT: a listener of its own serves /metrics (without a token, or with METRICS_TOKEN if set); the public port then 404s', async () => {
      const port = await freePort();
      const separate = await t.restart({ METRICS_TOKEN: '', METRICS_PORT: String(port) });
      assert.equal((await separate.http().get('/test').set('Authorization', `Bearer ${t.adminSession.accessToken}`)).status, 204);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scraped.status, 200);
      const samples = parse(await scraped.text());
      assert.equal(valueOf(samples, 'identity_http_requests_total', { method: 'GET', route: '/test', status: '204' }), 1);
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/user/list`)).status, 404);
      assert.equal((await separate.http().get('/metrics')).status, 404, 'not on the public port without METRICS_TOKEN');

      const token = randomBytes(24).toString('base64url');
      const otherPort = await freePort();
      const guarded = await t.restart({ METRICS_TOKEN: token, METRICS_PORT: String(otherPort) });
      const refused = await fetch(`http://127.0.0.1:${otherPort}/metrics`);
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
      assert.deepEqual(await refused.json(), { code: 401, message: 'Invalid access token.', msg: 'Invalid access token.', data: null });
      assert.equal((await fetch(`http://127.0.0.1:${otherPort}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await guarded.http().get('/metrics').set('Authorization', `Bearer ${token}`)).status, 200, 'and on the public port with the token');
    });
  });
}
