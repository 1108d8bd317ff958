import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD } from './support/test-app';
import { as, login } from './support/auth-helpers';
import { uniquePhone } from './support/code-inbox';
import { register, USER_PASSWORD } from './support/fixtures';
import { findRedisServer, startTestRedis, TestRedis } from './support/redis';
import { startTestApp, TestApp, testDatabases } from './support/test-app';

const redisServer = findRedisServer();

function wrongLogin(t: TestApp, username: string, forwardedFor?: string) {
  const request = t.http().post('/auth/login');
  if (forwardedFor) request.set('X-Forwarded-For', forwardedFor);
  return request.send({ username, password: 'not-the-password-1' });
}

/** Wrong logins of one username alternating between the instances, some at once: what each answered. */
async function alternate(instances: TestApp[], username: string, rounds: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const burst = await Promise.all(instances.map((t) => wrongLogin(t, username)));
    for (const response of burst) {
      statuses.push(response.status);
      if (response.status === 429) {
        assert.equal(response.body.code, 429);
        assert.ok(Number(response.headers['retry-after']) > 0, 'Retry-After says how long');
      } else assert.equal(response.status, 401, JSON.stringify(response.body));
    }
  }
  return statuses;
}

const checks = (statuses: number[]) => statuses.filter((status) => status !== 429).length;

/** The counters the database holds (none of them names a user or an address in the clear). */
async function storedCounters(t: TestApp): Promise<Array<{ key: string; points: number }>> {
  return t.dataSource.query('SELECT `key`, points FROM rate_limit'.replace(/`/g, t.config.database.type === 'mysql' ? '`' : '"'));
}

for (const database of testDatabases()) {
  describe(`shared brute-force limits on ${database.name}`, () => {
    it('one instance: a burst of wrong guesses gets no more password checks than LOGIN_MAX_FAILURES', async () => {
      const t = await startTestApp(database, { LOGIN_MAX_FAILURES: '3' });
      try {
        const user = await register(t);
        const burst = await Promise.all(Array.from({ length: 12 }, () => wrongLogin(t, user.username)));
        assert.deepEqual(burst.map((r) => r.status).sort(), [...Array(3).fill(401), ...Array(9).fill(429)]);
        const refused = await t.http().post('/auth/login').send({ username: user.username, password: USER_PASSWORD });
        assert.equal(refused.status, 429, 'the pair is refused, right password or not');
        assert.equal(refused.body.data.retryAfter, Number(refused.headers['retry-after']));
        const counters = await storedCounters(t);
        assert.ok(counters.length > 0, 'the counters are in the database');
        assert.ok(counters.every((row) => !row.key.includes(user.username) && !row.key.includes('127.0.0.1')));
      } finally {
        await t.close();
      }
    });

    it('two instances sharing only the database: the sum of checks never exceeds the limit', async () => {
      const t = await startTestApp(database, { LOGIN_MAX_FAILURES: '4' });
      try {
        const other = await t.restart();
        const user = await register(t);
        const statuses = await alternate([t, other], user.username, 6);
        assert.equal(checks(statuses), 4, `answers: ${statuses.join(' ')}`);
      } finally {
        await t.close();
      }
    });

    it('concurrent correct logins of one user from one address all get in, even past LOGIN_MAX_FAILURES', async () => {
      const t = await startTestApp(database, { LOGIN_MAX_FAILURES: '3' });
      try {
        const user = await register(t);
        assert.equal((await wrongLogin(t, user.username)).status, 401);
        const logins = await Promise.all(
          Array.from({ length: 8 }, () => t.http().post('/auth/login').send({ username: user.username, password: USER_PASSWORD })),
        );
        assert.deepEqual(
          logins.map((r) => r.status),
          Array(8).fill(200),
        );
      } finally {
        await t.close();
      }
    });

    it('api/v2 login counts with POST /auth/login: switching family gains nothing', async () => {
      const t = await startTestApp(database, { LOGIN_MAX_FAILURES: '3' });
      try {
        const user = await register(t);
        const statuses: number[] = [];
        for (let i = 0; i < 2; i++) statuses.push((await wrongLogin(t, user.username)).status);
        for (let i = 0; i < 2; i++) {
          const response = await t.http().post('/api/v2/auth/login').send({ login: user.username, password: 'not-the-password-1' });
          statuses.push(response.status);
          if (response.status === 429) assert.ok(Number(response.headers['retry-after']) > 0);
        }
        assert.deepEqual(statuses, [401, 401, 401, 429]);
      } finally {
        await t.close();
      }
    });

    it('verification-code sends are limited per destination and per address; registration per address', async () => {
      const t = await startTestApp(database, {
        VERIFY_CODE_RESEND: '0',
        LIMIT_CODE_SEND_PER_DESTINATION_MAX: '2',
        LIMIT_CODE_SEND_PER_IP_MAX: '4',
        LIMIT_REGISTRATION_MAX: '1',
      });
      try {
        const send = (phone: string) => t.http().post('/api/v2/verifycodes').send({ phone });
        const phone = uniquePhone();
        const toOne = [(await send(phone)).status, (await send(phone)).status];
        const third = await send(phone);
        assert.deepEqual([...toOne, third.status], [200, 200, 429]);
        assert.ok(Number(third.headers['retry-after']) > 0);
        assert.equal(typeof third.body.message, 'string', 'in the api/v2 envelope');
        const toOthers = [(await send(uniquePhone())).status, (await send(uniquePhone())).status];
        assert.deepEqual(toOthers, [200, 429], 'the address has used its 4 sends (the refused one counted too)');

        const registration = () => t.http().post('/api/v2/users').send({ phone: uniquePhone(), name: 'x', verifiableType: 'sms', verifiableCode: '000000' });
        assert.equal((await registration()).status, 422);
        assert.equal((await registration()).status, 429);
      } finally {
        await t.close();
      }
    });

    it('the tokenLogin link and PUT /user with a wrong oldPassword answer 429 per address after their failures', async () => {
      const t = await startTestApp(database, { LIMIT_TOKEN_LOGIN_FAILURES_MAX: '2', LIMIT_PASSWORD_CHANGE_FAILURES_MAX: '2' });
      try {
        const links: number[] = [];
        for (let i = 0; i < 2; i++) links.push((await t.http().get('/account/tokenLogin.do?userToken=not-a-jwt')).status);
        const refused = await t.http().get('/account/tokenLogin.do?userToken=not-a-jwt');
        assert.deepEqual([...links, refused.status], [400, 400, 429]);
        assert.match(String(refused.headers['content-type']), /^text\/html/, 'the family’s refusal page');
        assert.ok(Number(refused.headers['retry-after']) > 0);

        const user = await register(t);
        const self = as(t, (await login(t, user.username, USER_PASSWORD)).accessToken);
        const changes: number[] = [];
        for (let i = 0; i < 3; i++)
          changes.push((await self.put(`/user/${user.id}`, { password: 'Brand-New-Secret-77', oldPassword: `Wrong-Old-${i}` })).status);
        assert.deepEqual(changes, [400, 400, 429]);
        assert.equal((await login(t, user.username, USER_PASSWORD)).userId, user.id, 'the password is unchanged');
      } finally {
        await t.close();
      }
    });

    it('the ticket routes answer 429 per address after LIMIT_TICKET_FAILURES_MAX failures, in their envelope', async () => {
      const t = await startTestApp(database, { LIMIT_TICKET_FAILURES_MAX: '2' });
      try {
        const admin = as(t, (await login(t)).accessToken);
        const statuses: number[] = [];
        for (let i = 0; i < 2; i++) statuses.push((await admin.get('/v1/auth?pageSize=many')).status);
        const refused = await admin.get('/v1/auth?pageSize=many');
        assert.deepEqual([...statuses, refused.status], [400, 400, 429]);
        assert.equal(refused.body.errorCode, 'too_many_requests');
        assert.ok(Number(refused.headers['retry-after']) > 0);
      } finally {
        await t.close();
      }
    });

    it('a forged X-Forwarded-For changes nothing when TRUST_PROXY is unset', async () => {
      const t = await startTestApp(database, { LOGIN_MAX_FAILURES: '2' });
      try {
        const user = await register(t);
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await wrongLogin(t, user.username, `203.0.113.${i + 1}`)).status);
        assert.deepEqual(statuses, [401, 401, 429, 429, 429]);
      } finally {
        await t.close();
      }
    });

    it('per account: many addresses are stopped at LOGIN_MAX_FAILURES_PER_ACCOUNT, the owner’s known address is not', async () => {
      const t = await startTestApp(database, { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
      try {
        const user = await register(t);
        const owner = '198.51.100.7';
        const ownerLogin = () => t.http().post('/auth/login').set('X-Forwarded-For', owner).send({ username: user.username, password: USER_PASSWORD });
        assert.equal((await ownerLogin()).status, 200, 'the owner logs in once: the address becomes known');
        const botnet: number[] = [];
        for (let i = 0; i < 6; i++) botnet.push((await wrongLogin(t, user.username, `203.0.113.${i + 1}`)).status);
        assert.deepEqual(botnet, [401, 401, 401, 429, 429, 429]);
        const newcomer = await t.http().post('/auth/login').set('X-Forwarded-For', '203.0.113.99').send({ username: user.username, password: USER_PASSWORD });
        assert.equal(newcomer.status, 429, 'an unknown address is refused even with the right password');
        assert.equal((await ownerLogin()).status, 200, 'the owner is not locked out');
        assert.equal(
          (await t.http().post('/auth/login').set('X-Forwarded-For', '203.0.113.99').send({ username: 'admin', password: ADMIN_PASSWORD })).status,
          200,
          'other accounts are unaffected',
        );
      } finally {
        await t.close();
      }
    });

    it('refresh answers 429 per address after LIMIT_REFRESH_FAILURES_MAX failures', async () => {
      const t = await startTestApp(database, { LIMIT_REFRESH_FAILURES_MAX: '2' });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const response = await t.http().post('/auth/session').set('X-Refresh-Token', `bogus-${i}`);
          statuses.push(response.status);
          if (response.status === 429) assert.ok(Number(response.headers['retry-after']) > 0);
        }
        assert.deepEqual(statuses, [401, 401, 429, 429]);
      } finally {
        await t.close();
      }
    });
  });

  describe(
    `limits shared through Redis on ${database.name}`,
    { skip: redisServer ? false : 'no redis-server installed (Debian: apt-get install redis-server)' },
    () => {
      let redis: TestRedis;
      before(async () => {
        redis = await startTestRedis(redisServer!);
      });
      after(async () => {
        await redis?.close();
      });

      it('two instances sharing Redis: the sum of checks never exceeds the limit, nothing counted in the database', async () => {
        const t = await startTestApp(database, { REDIS_URL: redis.url, LOGIN_MAX_FAILURES: '4' });
        try {
          const other = await t.restart();
          const user = await register(t);
          const statuses = await alternate([t, other], user.username, 6);
          assert.equal(checks(statuses), 4, `answers: ${statuses.join(' ')}`);
          assert.deepEqual(await storedCounters(t), []);
        } finally {
          await t.close();
        }
      });

      it('with Redis down, the database stands in and the limit still holds across instances', async () => {
        const t = await startTestApp(database, { REDIS_URL: redis.url, LOGIN_MAX_FAILURES: '3' });
        try {
          const other = await t.restart();
          const user = await register(t);
          await redis.stop();
          try {
            const statuses = await alternate([t, other], user.username, 5);
            assert.equal(checks(statuses), 3, `answers: ${statuses.join(' ')}`);
            assert.ok((await storedCounters(t)).length > 0, 'counted in the database meanwhile');
          } finally {
            await redis.start();
          }
        } finally {
          await t.close();
        }
      });
    },
  );
}
