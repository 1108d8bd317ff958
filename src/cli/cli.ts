import { loadConfig } from '../app.config';
import { AppException } from '../common/app.exception';
import { message } from '../common/messages';
import { localizeErrorData } from '../common/validation-messages';
import { ConfigError } from '../config/env-reader';
import { driverErrorCode } from '../database/db-errors';
import { CommandFailure, parseInvocation, UsageError } from './cli-args';
import { captureConsole, cliLogger } from './cli-log';
import { COMMANDS } from './commands';

export const EXIT_OK = 0;
/** The command failed: an unknown user, a database error, a refused change. */
export const EXIT_FAILED = 1;
/** The command line is wrong: an unknown command or option, a missing or bad value. */
export const EXIT_USAGE = 2;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** An AppException as the API's English message says it, with the broken rules of a validation error. */
function describeAppException(error: AppException): string {
  const errors = (localizeErrorData(error.data, 'en') as { errors?: Array<{ messages?: string[] }> } | null)?.errors;
  const rules = errors?.flatMap((entry) => entry.messages ?? []) ?? [];
  return rules.length > 0 ? rules.join('; ') : message(error.messageKey, 'en');
}

/** What went wrong, in one line, and the exit status it calls for. Never a stack: a bug's is in the log. */
function failureOf(error: unknown): { line: string; code: number } {
  if (error instanceof UsageError) return { line: error.message, code: EXIT_USAGE };
  // A 400 is a value the operator gave (a password the rules refuse, a malformed username).
  if (error instanceof AppException) return { line: describeAppException(error), code: error.status === 400 ? EXIT_USAGE : EXIT_FAILED };
  if (error instanceof CommandFailure || error instanceof ConfigError) return { line: error.message, code: EXIT_FAILED };
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0] || 'unexpected failure';
  // The driver's code says more than its message does ("database is locked" is SQLITE_BUSY or SQLITE_BUSY_SNAPSHOT).
  const code = driverErrorCode(error);
  return { line: code && !text.includes(code) ? `${text} (${code})` : text, code: EXIT_FAILED };
}

/** Runs one command line; answers the exit status. `io.env` has been completed from .env by the caller. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const invocation = parseInvocation(argv, COMMANDS);
    if (invocation.kind === 'help') {
      io.out(invocation.text);
      return EXIT_OK;
    }
    const { command, options } = invocation;
    const config = loadConfig(io.env);
    const logger = cliLogger(config, io.env);
    captureConsole(logger);
    await command.run({ options, config, env: io.env, logger, out: (line) => io.out(`${line}\n`) });
    return EXIT_OK;
  } catch (error) {
    const { line, code } = failureOf(error);
    io.err(`error: ${line}\n`);
    return code;
  }
}
