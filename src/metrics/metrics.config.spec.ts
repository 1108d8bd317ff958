import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSlices } from '../config/config-slice';
import { ConfigError } from '../config/env-reader';
import { metricsConfig, metricsEnabled } from './metrics.config';

const TOKEN = 'q7Vn2-xKp9LmZ4rT8wYb3sDf6gHj1cQe';
const load = (env: Record<string, string>) => loadSlices({ metrics: metricsConfig }, env).metrics;

function refuses(env: Record<string, string>, line: string): void {
  assert.throws(
    () => load(env),
    (error: unknown) => error instanceof ConfigError && error.message === line,
  );
}

describe('metrics configuration', () => {
  it('is off unless METRICS_TOKEN or METRICS_PORT is set; the listener binds where the server does unless told', () => {
    assert.equal(metricsEnabled(load({})), false);
    assert.deepEqual(load({ METRICS_TOKEN: TOKEN }), { token: TOKEN, port: undefined, host: '0.0.0.0' });
    assert.deepEqual(load({ METRICS_PORT: '9464', HOST: '127.0.0.1' }), { token: undefined, port: 9464, host: '127.0.0.1' });
    assert.equal(load({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).host, '10.0.0.5');
    assert.equal(metricsEnabled(load({ METRICS_PORT: '9464' })), true);
  });

  it('stops at a bad value with one line naming the variable', () => {
    refuses({ METRICS_TOKEN: 'short' }, 'Invalid configuration: METRICS_TOKEN must be at least 24 characters');
    refuses(
      { METRICS_TOKEN: `${TOKEN} with spaces` },
      'Invalid configuration: METRICS_TOKEN must be printable ASCII without spaces (it travels in an Authorization header)',
    );
    refuses(
      { NODE_ENV: 'production', METRICS_TOKEN: 'changeme-changeme-changeme' },
      'Invalid configuration: METRICS_TOKEN looks like a placeholder; use a random value in production',
    );
    refuses({ METRICS_PORT: 'nine' }, 'Invalid configuration: METRICS_PORT must be a whole number (got "nine")');
    refuses({ METRICS_PORT: '0' }, 'Invalid configuration: METRICS_PORT must be between 1 and 65535 (got 0)');
    refuses({ PORT: '9000', METRICS_PORT: '9000' }, 'Invalid configuration: METRICS_PORT must differ from PORT (both 9000)');
  });
});
