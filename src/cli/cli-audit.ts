import { userInfo } from 'node:os';
import type { AuditService } from '../audit/audit.service';
import { AppException } from '../common/app.exception';

/**
 * The actor of what the command line does: `cli:` and the operating-system user who ran it. A colon is in no
 * username and no user id, so the command line is never taken for a user of the server.
 */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // A container's user with no passwd entry.
    name = process.getuid ? `uid ${process.getuid()}` : 'unknown';
  }
  return `cli:${name}`.slice(0, 255);
}

/** What a command writes to the audit log, the API's equivalent route's action and target. */
export interface AuditedCommand {
  /** `admin reset`: in the entry's details, where the API writes the route. */
  command: string;
  action: string;
  /** Facts known before the command runs (never a password). */
  details?: Record<string, unknown>;
}

/** What the work of an audited command answers: its result, and the target and details its entry names. */
export interface AuditedOutcome<T> {
  result: T;
  target?: string | number;
  details?: Record<string, unknown>;
}

/**
 * Runs the work, and queues its audit entry as the API's hook does after a route answered: a success, or a
 * failure carrying the error's message key. The caller flushes the queue before the database closes.
 */
export async function audited<T>(audit: AuditService, command: AuditedCommand, work: () => Promise<AuditedOutcome<T>>): Promise<T> {
  const record = (outcome: 'success' | 'failure', target: string | number | undefined, details: Record<string, unknown>) =>
    audit.record({
      time: new Date(),
      actor: cliActor(),
      action: command.action,
      target: target === undefined ? null : String(target).slice(0, 255),
      ip: null,
      userAgent: null,
      outcome,
      details: JSON.stringify({ command: command.command, ...command.details, ...details }).slice(0, 4000),
    });
  let done: AuditedOutcome<T>;
  try {
    done = await work();
  } catch (error) {
    record('failure', undefined, { error: error instanceof AppException ? error.messageKey : 'error.internal' });
    throw error;
  }
  record('success', done.target, done.details ?? {});
  return done.result;
}
