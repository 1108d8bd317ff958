import { format } from 'node:util';
import pino from 'pino';
import type { AppConfig } from '../app.config';
import { createLogger } from '../common/logger';

/**
 * The log, on standard error (standard output carries the command's answer alone): warnings and errors, unless
 * LOG_LEVEL is set. Written synchronously, so nothing is lost when the process exits.
 */
export function cliLogger(config: AppConfig, env: NodeJS.ProcessEnv): pino.Logger {
  return createLogger({ logLevel: env.LOG_LEVEL ? config.logLevel : 'warn' }, pino.destination({ dest: 2, sync: true }));
}

/**
 * What libraries print on the console goes to the log at debug level (LOG_LEVEL=debug shows it): TypeORM prints
 * each migration it runs, and a failed query with its parameters (a password's hash among them), which would
 * bury the one line that says what went wrong. The command's own failures are told by the command line.
 */
export function captureConsole(logger: pino.Logger): void {
  const toLog = (...args: unknown[]) => logger.debug({ context: 'console' }, format(...args));
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) console[method] = toLog;
}
