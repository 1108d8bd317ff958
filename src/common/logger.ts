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
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
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

/**
 * A request's logger that becomes pino's child (with the request id bound) only when it writes a line: most
 * requests log nothing, and a child with redaction costs a few microseconds to build. Levels are checked first,
 * so a line below the level does not build it either.
 */
class LazyChildLogger {
  private real?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly childBindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.real ??= this.parent.child(this.childBindings, this.options));
  }

  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return this.real || this.options.level !== undefined ? this.logger.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
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

/** Fastify's childLoggerFactory: each request's logger, built lazily (see LazyChildLogger). */
export function lazyChildLoggerFactory(logger: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  return new LazyChildLogger(logger, bindings, options) as unknown as Logger;
}
