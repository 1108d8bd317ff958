import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from '../common/app.exception';
import type { AppConfig } from '../config/app.config';
import { LoginThrottle } from './login-throttle';

const config = (maxFailures: number, maxFailuresPerIp: number) => ({ loginThrottle: { maxFailures, maxFailuresPerIp, windowSeconds: 900 } }) as AppConfig;

function refusal(action: () => void): number | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppException && error.status === 429);
    return (error.data as { retryAfter: number }).retryAfter;
  }
}

describe('LoginThrottle', () => {
  const fail = (throttle: LoginThrottle, name: string, ip: string, now: number) => {
    throttle.begin(name, ip, now);
    throttle.failed(name, ip, now);
  };

  it('refuses a username from an address after its failures, until the window ends', () => {
    const throttle = new LoginThrottle(config(3, 100));
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) fail(throttle, 'alice', '10.0.0.1', t0 + i);
    assert.equal(refusal(() => throttle.begin('alice', '10.0.0.1', t0 + 1000)), 899);
    assert.equal(refusal(() => throttle.begin('alice', '10.0.0.2', t0 + 1000)), undefined, 'the real user elsewhere is not locked out');
    assert.equal(refusal(() => throttle.begin('bob', '10.0.0.1', t0 + 1000)), undefined);
    assert.equal(refusal(() => throttle.begin('alice', '10.0.0.1', t0 + 900_000)), undefined, 'free again after the window');
    throttle.onModuleDestroy();
  });

  it('forgets a pair at a success, and attempts that never reached the password', () => {
    const throttle = new LoginThrottle(config(2, 100));
    fail(throttle, 'alice', 'ip', 0);
    throttle.begin('alice', 'ip', 1);
    throttle.succeeded('alice', 'ip');
    throttle.begin('alice', 'ip', 2);
    throttle.abandoned('alice', 'ip'); // the database was down
    fail(throttle, 'alice', 'ip', 3);
    assert.equal(refusal(() => throttle.begin('alice', 'ip', 4)), undefined, 'one failure counted since the success');
    // That attempt is still being checked: after a failure, one in flight counts as one more.
    assert.notEqual(refusal(() => throttle.begin('alice', 'ip', 5)), undefined);
    throttle.onModuleDestroy();
  });

  it('lets correct logins run in parallel, up to a burst', () => {
    const throttle = new LoginThrottle(config(5, 100));
    for (let i = 0; i < 20; i++) throttle.begin('service', 'ip', i);
    assert.equal(refusal(() => throttle.begin('service', 'ip', 21)), 1);
    for (let i = 0; i < 20; i++) throttle.succeeded('service', 'ip');
    assert.equal(refusal(() => throttle.begin('service', 'ip', 22)), undefined);
    throttle.onModuleDestroy();
  });

  it('counts an address across usernames, and is off at 0', () => {
    const spray = new LoginThrottle(config(5, 3));
    for (const name of ['a', 'b', 'c']) fail(spray, name, 'ip', 0);
    assert.notEqual(refusal(() => spray.begin('d', 'ip', 1)), undefined);
    assert.equal(refusal(() => spray.begin('d', 'other-ip', 1)), undefined);
    spray.onModuleDestroy();
    const off = new LoginThrottle(config(0, 0));
    for (let i = 0; i < 50; i++) fail(off, 'alice', 'ip', i);
    assert.equal(refusal(() => off.begin('alice', 'ip', 51)), undefined);
    off.onModuleDestroy();
  });
});
