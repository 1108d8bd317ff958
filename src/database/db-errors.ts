import { AppException } from '../common/app.exception';
import type { ErrorKey } from '../common/messages';

/** The driver's error code, wherever TypeORM put it. */
export function driverErrorCode(error: unknown): string | undefined {
  const candidate = error as { driverError?: { code?: string }; code?: string } | undefined;
  return candidate?.driverError?.code ?? candidate?.code;
}

/** A unique or primary key refused the write: the database closed a check-then-act race. */
export function isDuplicateKey(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Runs a write; a unique key refusing it (a taken name, a race lost) becomes a 409 with this message. */
export async function conflictOnDuplicate<T>(write: Promise<T>, messageKey: ErrorKey): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isDuplicateKey(error)) throw new AppException(messageKey);
    throw error;
  }
}
