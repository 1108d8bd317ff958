import { configSlice } from '../config/config-slice';
import { ConfigError, isWeakSecret } from '../config/env-reader';

/** Where GET /metrics is served: never on the public port without a token. */
export interface MetricsConfig {
  /** A bearer token GET /metrics requires, on the public port and on METRICS_PORT alike. */
  token?: string;
  /** A listener of its own serving only /metrics (without a token unless `token` is set too). */
  port?: number;
  host: string;
}

/** Neither METRICS_TOKEN nor METRICS_PORT: nothing is counted per request and /metrics is an unknown route. */
export function metricsEnabled(config: MetricsConfig): boolean {
  return config.token !== undefined || config.port !== undefined;
}

/** Scrapers send it on every scrape, so a long random value costs nothing. */
const MIN_TOKEN_LENGTH = 24;

export const metricsConfig = configSlice<MetricsConfig>('metrics', (read, core) => {
  const token = read.optionalString('METRICS_TOKEN');
  if (token !== undefined) {
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError('METRICS_TOKEN', `must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError('METRICS_TOKEN', 'must be printable ASCII without spaces (it travels in an Authorization header)');
    if (core.nodeEnv === 'production' && isWeakSecret(token, MIN_TOKEN_LENGTH)) {
      throw new ConfigError('METRICS_TOKEN', 'looks like a placeholder; use a random value in production');
    }
  }
  const port = read.optionalString('METRICS_PORT') === undefined ? undefined : read.integer('METRICS_PORT', 0, 1, 65535);
  if (port !== undefined && port === core.port) throw new ConfigError('METRICS_PORT', `must differ from PORT (both ${port})`);
  return { token, port, host: read.string('METRICS_HOST', core.host) };
});
