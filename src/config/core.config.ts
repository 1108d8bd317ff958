import { resolve } from 'node:path';
import { ConfigError, EnvReader } from './env-reader';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** What the process and its HTTP server need, whatever the features: read first, and handed to every slice. */
export interface CoreConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  dataDir: string;
  bodyLimitBytes: number;
  corsOrigins: string[];
  trustProxy: boolean | number | string;
  logLevel: LogLevel;
  logRequests: boolean;
  docsEnabled: boolean;
  /** At SIGTERM: how long readiness answers 503 while everything is still served, before the listener closes. */
  drainDelaySeconds: number;
}

export const CORE_CONFIG = Symbol('CORE_CONFIG');

export function loadCoreConfig(read: EnvReader): CoreConfig {
  return {
    nodeEnv: read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 8080, 0, 65535),
    dataDir: resolve(read.string('DATA_DIR', './data')),
    bodyLimitBytes: read.integer('BODY_LIMIT', 100 * 1024, 1024, 10 * 1024 * 1024),
    corsOrigins: readCorsOrigins(read),
    trustProxy: readTrustProxy(read),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    logRequests: read.boolean('LOG_REQUESTS', false),
    docsEnabled: read.boolean('DOCS_ENABLED', true),
    drainDelaySeconds: read.duration('DRAIN_DELAY', 0, 0, 300),
  };
}

/**
 * Exact origins only: CORS answers allow credentials, so a wildcard (or a pattern, or a path) would let any
 * page read a victim's answers with the victim's cookie.
 */
function readCorsOrigins(read: EnvReader): string[] {
  return read.list('CORS_ORIGINS').map((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    const exact = parsed && /^https?:$/.test(parsed.protocol) && !origin.includes('*') && !parsed.username && !parsed.password;
    if (!parsed || !exact || parsed.pathname !== '/' || parsed.search || parsed.hash) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `must list origins such as https://console.example.com, without wildcards or paths (got ${JSON.stringify(origin)})`,
      );
    }
    // As browsers send it in Origin: lower case, without a default port or a trailing slash.
    return parsed.origin;
  });
}

function readTrustProxy(read: EnvReader): boolean | number | string {
  const raw = read.optionalString('TRUST_PROXY');
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Fastify also takes a comma separated list of addresses or CIDR ranges.
  if (/^[0-9a-fA-F:.,/ ]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', 'must be true, false, a hop count, or addresses/CIDRs separated by commas');
}
