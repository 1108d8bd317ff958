import { HttpException } from '@nestjs/common';
import { AppException } from './app.exception';
import { ErrorKey, MessageKey, statusOf } from './messages';

export interface ClassifiedError {
  status: number;
  messageKey: MessageKey;
  data: unknown;
  /** Unexpected: logged with its stack, answered without it. */
  unexpected: boolean;
}

const STATUS_MESSAGES: Record<number, ErrorKey> = {
  400: 'error.validation',
  401: 'error.invalidToken',
  403: 'error.forbidden',
  404: 'error.routeNotFound',
  405: 'error.methodNotAllowed',
  409: 'error.conflict',
  413: 'error.payloadTooLarge',
  415: 'error.unsupportedMediaType',
  429: 'error.tooManyRequests',
  503: 'error.databaseUnavailable',
};

/** Driver error codes that mean "the database cannot be reached", not "the query is wrong". */
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  // No pooled connection within DB_ACQUIRE_TIMEOUT_MS (src/database/bounded-mysql.ts).
  'POOL_ACQUIRE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
]);

const DATABASE_DOWN_MESSAGES = [
  /pool is closed/i,
  /connection is not established/i,
  /can't add new command when connection is in closed state/i,
  /connection lost/i,
  /database connection .*not open/i,
  /queue limit reached/i,
  /no connections available/i,
];

function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && DATABASE_DOWN_CODES.has(candidate.code)) return true;
    if (typeof candidate.message === 'string' && DATABASE_DOWN_MESSAGES.some((pattern) => pattern.test(candidate.message as string))) {
      return true;
    }
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

/** Maps whatever was thrown (by us, Nest, Fastify or a driver) to what the client is told. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof AppException) {
    return { status: error.status, messageKey: error.messageKey, data: error.data, unexpected: false };
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's own client errors (body parsing, size) and keeps the original as the cause.
    const fromFastify = fastifyClientError(error.cause);
    if (fromFastify) return fromFastify;
    const status = error.getStatus();
    if (status < 500 && STATUS_MESSAGES[status]) {
      return { status, messageKey: STATUS_MESSAGES[status], data: null, unexpected: false };
    }
  }
  const fastifyError = fastifyClientError(error);
  if (fastifyError) return fastifyError;
  if (isDatabaseUnavailable(error)) {
    return { status: 503, messageKey: 'error.databaseUnavailable', data: null, unexpected: false };
  }
  return { status: 500, messageKey: 'error.internal', data: null, unexpected: true };
}

/** Errors raised by Fastify before a handler runs: URL, body parsing, content type, size. */
function fastifyClientError(error: unknown): ClassifiedError | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  const result = (messageKey: ErrorKey): ClassifiedError => ({ status: statusOf(messageKey), messageKey, data: null, unexpected: false });
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return result('error.payloadTooLarge');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return result('error.unsupportedMediaType');
    case 'FST_ERR_BAD_URL':
      return result('error.badUrl');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return result('error.uriTooLong');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    // Also how Fastify refuses __proto__ and constructor.prototype keys.
    // falls through
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return result('error.malformedJson');
    default:
      // JSON.parse failures carry 400 and no FST code.
      if (statusCode === 400 && (error instanceof SyntaxError || /JSON/.test(String((error as Error).message)))) {
        return result('error.malformedJson');
      }
      return { status: statusCode, messageKey: STATUS_MESSAGES[statusCode] ?? 'error.validation', data: null, unexpected: false };
  }
}
