import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from '../common/app.exception';
import type { LoginThrottleConfig } from './auth.config';
import { LoginThrottle } from './login-throttle';

const config = (maxFailures: number, maxFailuresPerIp: number): LoginThrottleConfig => ({ maxFailures, maxFailuresPerIp, windowSeconds: 900 });
const at = (ms: number) => () => ms;

/** The seconds to wait of a refusal; undefined when the attempt may go ahead. */
async function refusal(attempt: Promise<void>): Promise<number | undefined> {
  try {
    await attempt;
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppException && error.status === 429);
    return (error.data as { retryAfter: number }).retryAfter;
  }
}

/** Whether the attempt is still waiting for its turn after the pending callbacks have run. */
async function isWaiting(attempt: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (
    (await Promise.race([
      attempt.then(
        () => 'settled',
        () => 'settled',
      ),
      new Promise((resolve) => setImmediate(() => resolve(pending))),
    ])) === pending
  );
}

describe('LoginThrottle', () => {
  const fail = async (throttle: LoginThrottle, name: string, ip: string, now: number) => {
    await throttle.begin(name, ip, at(now));
    throttle.failed(name, ip, now);
  };

  it('refuses a username from an address after its failures, until the window ends', async () => {
    const throttle = new LoginThrottle(config(3, 100));
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) await fail(throttle, 'alice', '10.0.0.1', t0 + i);
    assert.equal(await refusal(throttle.begin('alice', '10.0.0.1', at(t0 + 1000))), 899);
    assert.equal(await refusal(throttle.begin('alice', '10.0.0.2', at(t0 + 1000))), undefined, 'the real user elsewhere is not locked out');
    assert.equal(await refusal(throttle.begin('bob', '10.0.0.1', at(t0 + 1000))), undefined);
    assert.equal(await refusal(throttle.begin('alice', '10.0.0.1', at(t0 + 900_000))), undefined, 'free again after the window');
    throttle.onModuleDestroy();
  });

  it('forgets a pair at a success, and attempts that never reached the password', async () => {
    const throttle = new LoginThrottle(config(2, 100));
    await fail(throttle, 'alice', 'ip', 0);
    await throttle.begin('alice', 'ip', at(1));
    throttle.succeeded('alice', 'ip');
    await throttle.begin('alice', 'ip', at(2));
    throttle.abandoned('alice', 'ip'); // the database was down
    await fail(throttle, 'alice', 'ip', 3);
    assert.equal(await refusal(throttle.begin('alice', 'ip', at(4))), undefined, 'one failure counted since the success');
    throttle.onModuleDestroy();
  });

  it('lets a burst check no more passwords than the limit: the rest wait, then are refused when those fail', async () => {
    const throttle = new LoginThrottle(config(3, 100));
    const attempts = Array.from({ length: 10 }, () => throttle.begin('alice', 'ip', at(0)));
    const started = [];
    for (const attempt of attempts) started.push(!(await isWaiting(attempt)));
    assert.equal(started.filter(Boolean).length, 3, 'three passwords checked at once');
    for (let i = 0; i < 3; i++) throttle.failed('alice', 'ip', 1);
    const outcomes = await Promise.all(attempts.map((attempt) => refusal(attempt)));
    assert.equal(outcomes.filter((retryAfter) => retryAfter === undefined).length, 3);
    assert.equal(outcomes.filter((retryAfter) => retryAfter !== undefined && retryAfter > 0).length, 7);
    throttle.onModuleDestroy();
  });

  it('lets correct logins in parallel through in turn, never refusing one', async () => {
    const throttle = new LoginThrottle(config(5, 100));
    await fail(throttle, 'service', 'ip', 0);
    const attempts = Array.from({ length: 20 }, () => throttle.begin('service', 'ip', at(1)));
    let done = 0;
    for (const attempt of attempts) {
      // Each attempt that got its turn succeeds, which lets the next in.
      while (await isWaiting(attempt)) {
        throttle.succeeded('service', 'ip');
        done++;
      }
    }
    assert.deepEqual(
      await Promise.all(attempts.map((attempt) => refusal(attempt))),
      attempts.map(() => undefined),
    );
    assert.ok(done > 0, 'some attempts had to wait');
    throttle.onModuleDestroy();
  });

  it('counts an address across usernames, and is off at 0', async () => {
    const spray = new LoginThrottle(config(5, 3));
    for (const name of ['a', 'b', 'c']) await fail(spray, name, 'ip', 0);
    assert.notEqual(await refusal(spray.begin('d', 'ip', at(1))), undefined);
    assert.equal(await refusal(spray.begin('d', 'other-ip', at(1))), undefined);
    spray.onModuleDestroy();
    const off = new LoginThrottle(config(0, 0));
    for (let i = 0; i < 50; i++) await fail(off, 'alice', 'ip', i);
    assert.equal(await refusal(off.begin('alice', 'ip', at(51))), undefined);
    off.onModuleDestroy();
  });
});
