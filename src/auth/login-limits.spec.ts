import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AppException } from '../common/app.exception';
import type { LimiterShape, RateLimitStore } from '../database/rate-limit-store';
import type { LimitsConfig } from '../security/limits.config';
import { Metrics } from '../metrics/metrics';
import { Limits } from '../security/limits';
import type { LoginThrottleConfig } from './auth.config';
import { LoginAttempt, LoginLimits } from './login-limits';

/** The store of a single SQLite in memory: every limiter counts in this process. */
const memoryStore = {
  limiter: (shape: LimiterShape) => new RateLimiterMemory({ keyPrefix: shape.keyPrefix, points: shape.points, duration: shape.durationSeconds }),
  storage: () => 'memory',
  clearExpired: async () => undefined,
} as unknown as RateLimitStore;

function loginLimits(maxFailures: number, maxFailuresPerIp: number, perAccount = 0): LoginLimits {
  const rule = { points: 0, windowSeconds: 60 };
  const config: LimitsConfig = {
    account: { points: perAccount, windowSeconds: 3600 },
    knownAddressSeconds: 3600,
    rules: {
      refresh: rule,
      ticket: rule,
      tokenLogin: rule,
      wechatLogin: rule,
      passwordChange: rule,
      registration: rule,
      codeSendPerIp: rule,
      codeSendPerDestination: rule,
    },
  };
  const throttle: LoginThrottleConfig = { maxFailures, maxFailuresPerIp, windowSeconds: 900 };
  return new LoginLimits(new Limits(memoryStore, config, {} as never), throttle, new Metrics());
}

/** The seconds to wait of a refusal; undefined when the attempt may go ahead. */
async function refusal(attempt: Promise<LoginAttempt>): Promise<number | undefined> {
  try {
    await attempt;
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppException && error.status === 429, String(error));
    return (error.data as { retryAfter: number }).retryAfter;
  }
}

const fail = async (limits: LoginLimits, name: string, ip: string) => (await limits.begin(name, ip)).failed();

describe('LoginLimits', () => {
  it('refuses a name from an address after its failures, right password or not, and no one else', async () => {
    const limits = loginLimits(3, 100);
    for (let i = 0; i < 3; i++) await fail(limits, 'alice', '10.0.0.1');
    const wait = await refusal(limits.begin('alice', '10.0.0.1'));
    assert.ok(wait !== undefined && wait > 890 && wait <= 900, `Retry-After ${wait}`);
    assert.equal(await refusal(limits.begin('alice', '10.0.0.2')), undefined, 'the real user elsewhere is not locked out');
    assert.equal(await refusal(limits.begin('bob', '10.0.0.1')), undefined);
  });

  it('starts the pair afresh after a success; an abandoned attempt counts for nothing', async () => {
    const limits = loginLimits(2, 100);
    await fail(limits, 'alice', 'ip');
    await (await limits.begin('alice', 'ip')).succeeded();
    await (await limits.begin('alice', 'ip')).abandoned();
    await fail(limits, 'alice', 'ip');
    assert.equal(await refusal(limits.begin('alice', 'ip')), undefined, 'one failure counted since the success');
  });

  it('gives a burst no more checks than the limit: the rest are refused once those in flight have failed', async () => {
    const limits = loginLimits(3, 100);
    const attempts = Array.from({ length: 10 }, () => limits.begin('alice', 'ip'));
    const settled = await Promise.race([Promise.allSettled(attempts), new Promise((resolve) => setTimeout(resolve, 50, 'waiting'))]);
    assert.equal(settled, 'waiting', 'the seven beyond the limit wait for the three in flight');
    const admitted = await Promise.all(attempts.slice(0, 3));
    for (const attempt of admitted) await attempt.failed();
    const outcomes = await Promise.allSettled(attempts);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
  });

  it('lets concurrent correct logins all in, in turn', async () => {
    const limits = loginLimits(2, 100);
    await fail(limits, 'service', 'ip');
    const logins = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const attempt = await limits.begin('service', 'ip');
        await new Promise((resolve) => setTimeout(resolve, 5));
        await attempt.succeeded();
      }),
    );
    assert.equal(logins.length, 12);
  });

  it('per account: refuses unknown addresses past the limit, never an address that logged in before', async () => {
    const limits = loginLimits(100, 100, 3);
    await (await limits.begin('alice', 'home')).succeeded();
    for (let i = 0; i < 3; i++) await fail(limits, 'alice', `bot-${i}`);
    assert.ok((await refusal(limits.begin('alice', 'bot-99'))) !== undefined, 'a new address is refused');
    assert.equal(await refusal(limits.begin('alice', 'home')), undefined, 'the owner is not locked out');
    assert.equal(await refusal(limits.begin('bob', 'bot-99')), undefined, 'other accounts are not affected');
  });

  it('turns a rule off with 0', async () => {
    const limits = loginLimits(0, 0);
    for (let i = 0; i < 20; i++) await fail(limits, 'alice', 'ip');
    assert.equal(await refusal(limits.begin('alice', 'ip')), undefined);
  });
});
