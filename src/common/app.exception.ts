import type { MessageKey } from './messages';

/**
 * Thrown by services for every expected failure: the HTTP status and the
 * catalog key of the message; the global filter renders it in the envelope.
 */
export class AppException extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: MessageKey,
    readonly data: unknown = null,
  ) {
    super(messageKey);
  }
}

export const invalidToken = () => new AppException(401, 'error.invalidToken');
export const forbidden = () => new AppException(403, 'error.forbidden');
export const notFound = () => new AppException(404, 'error.notFound');
