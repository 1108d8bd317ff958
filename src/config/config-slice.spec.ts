import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSlice, loadSlices, sliceProviders } from './config-slice';
import { CORE_CONFIG } from './core.config';
import { ConfigError } from './env-reader';

const greeting = configSlice('greeting', (read, core) => ({ text: read.string('GREETING', 'hello'), loud: core.nodeEnv === 'production' }));
const retries = configSlice('retries', (read) => ({ count: read.integer('RETRIES', 3, 0, 10) }));
const SLICES = { greeting, retries };

describe('configuration slices', () => {
  it('puts the core at the top and each slice under its property; slices see the core', () => {
    const config = loadSlices(SLICES, { NODE_ENV: 'production', PORT: '9000', GREETING: 'hi' });
    assert.equal(config.port, 9000);
    assert.deepEqual(config.greeting, { text: 'hi', loud: true });
    assert.deepEqual(config.retries, { count: 3 });
  });

  it("stops at a slice's bad value with the one-line error naming its variable", () => {
    assert.throws(
      () => loadSlices(SLICES, { RETRIES: 'many' }),
      (error: unknown) => error instanceof ConfigError && error.message === 'Invalid configuration: RETRIES must be a whole number (got "many")',
    );
  });

  it('provides each slice under its own token, and the core without the slices', () => {
    const config = loadSlices(SLICES, {});
    const provided = new Map(sliceProviders(SLICES, config).map((provider) => [provider.provide, provider.useValue]));
    assert.equal(provided.size, 3);
    assert.equal(provided.get(greeting.token), config.greeting);
    assert.equal(provided.get(retries.token), config.retries);
    const core = provided.get(CORE_CONFIG) as Record<string, unknown>;
    assert.equal(core.port, 8080);
    assert.ok(!('greeting' in core) && !('retries' in core), 'a consumer of the core sees no feature slice');
  });
});
