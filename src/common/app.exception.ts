import { ErrorKey, statusOf } from './messages';

/**
 * Thrown by services for every expected failure: the catalog key of the
 * message, which also gives the HTTP status (messages.ts), and what the
 * client may be told; the global filter renders it in the envelope.
 */
export class AppException extends Error {
  readonly status: number;

  constructor(
    readonly messageKey: ErrorKey,
    readonly data: unknown = null,
  ) {
    super(messageKey);
    this.status = statusOf(messageKey);
  }
}

export const invalidToken = () => new AppException('error.invalidToken');
export const forbidden = () => new AppException('error.forbidden');
export const notFound = () => new AppException('error.notFound');
