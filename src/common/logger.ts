import type { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import type { CoreConfig } from '../config/core.config';

/** Paths that may hold secrets are never written, whatever logs them. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-refresh-token"]',
  'res.headers.authorization',
  'res.headers["set-cookie"]',
  'res.headers["x-refresh-token"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'refreshToken',
  '*.refreshToken',
];

/** Query parameters that carry credentials (a partner's sign-in token, a one-time code), by name, any case. */
const SECRET_QUERY_PARAM = /^(usertoken|token|access_token|refresh_token|code|password|secret)$/i;

/** The URL with the values of credential-bearing query parameters replaced: request logs never hold them. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const pairs = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const end = pair.indexOf('=');
      const name = end < 0 ? pair : pair.slice(0, end);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: judged by the name as written.
      }
      return SECRET_QUERY_PARAM.test(decoded.replace(/\[\]$/, '').trim()) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}

/** Fastify's request serializer, with the query's credentials redacted from the URL. */
const serializers = {
  req: (request: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

/** The bundle (scripts/bundle.mjs) renames some of NestJS's own classes `_RouterExplorer`; the log keeps Nest's names. */
function nestName(context: string): string {
  return context.charCodeAt(0) === 95 /* _ */ ? context.slice(1) : context;
}

/** Writes to standard output unless given another destination (the tests read what is logged). */
export function createLogger(config: Pick<CoreConfig, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, serializers, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}

/** Lets Nest's own Logger write through pino, as JSON lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes the context as the last argument, and for errors a stack before it. */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? nestName(rest[rest.length - 1] as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined;
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      this.logger[level]({ context, ...(message as Record<string, unknown>) });
    } else if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const { serializersSym } = pino.symbols;
const NO_OPTIONS: pino.ChildLoggerOptions = Object.freeze({});

function isEmpty(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return false;
  return true;
}

/**
 * A logger whose children become pino's children only when they write a line: most requests log nothing, and a
 * child with redaction costs a few microseconds to build. Levels are checked first, so a line below the level
 * does not build one either. Fastify is given the application's logger wrapped in it (withLazyChildren), so
 * that its own child factory, which it trusts without checking each request's logger, builds them lazily.
 */
class LazyLogger {
  private real: Logger | undefined;

  private constructor(
    private readonly parent: LazyLogger | undefined,
    private readonly childBindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
    real?: Logger,
  ) {
    this.real = real;
  }

  static around(logger: Logger): LazyLogger {
    return new LazyLogger(undefined, {}, {}, logger);
  }

  private get logger(): Logger {
    return (this.real ??= this.parent!.logger.child(this.childBindings, this.options));
  }

  /** Read by Fastify as it makes its logger, which would otherwise replace the request serializer that redacts URLs. */
  get [serializersSym](): unknown {
    return (this.logger as unknown as Record<symbol, unknown>)[serializersSym];
  }
  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent!.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.real || this.options.level !== undefined ? this.logger.isLevelEnabled(level) : this.parent!.isLevelEnabled(level);
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): LazyLogger {
    // Options are copied, as a caller may change them once the call returns (Fastify does at start); a request's
    // are empty. The bindings are kept as given: Fastify makes a new object for each request and never changes it.
    return new LazyLogger(this, bindings, options === undefined || isEmpty(options) ? NO_OPTIONS : { ...options });
  }
  bindings(): pino.Bindings {
    return this.logger.bindings();
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: LogMethod, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.logger[level] as (...values: unknown[]) => void)(...args);
  }
}

/** The logger for Fastify: it writes through `logger`, and the children it makes for requests are built lazily (see LazyLogger). */
export function withLazyChildren(logger: Logger): Logger {
  return LazyLogger.around(logger) as unknown as Logger;
}
