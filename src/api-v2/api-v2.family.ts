import type { ApiFamily, Renderer } from '../common/renderer';
import { message } from '../common/messages';

/**
 * Document 002's shape: a success is the body itself (`{access_token, token_type, expires_in, refresh_ttl}`,
 * `{message}`); invalid input is 422 `{message, errors: {field: [...]}}`; every other error `{message}` with
 * the catalog's status (401 bad credentials or token, 429 too many attempts, 503 database unavailable).
 */
const apiV2Renderer: Renderer = {
  success: (_status, _messageKey, data) => data,
  error: (problem, lang) => {
    const text = message(problem.messageKey, lang);
    if (problem.fieldErrors) {
      return { status: 422, body: { message: text, errors: Object.fromEntries(problem.fieldErrors.map(({ field, messages }) => [field, messages])) } };
    }
    return { body: problem.unexpected ? { message: text, requestId: problem.requestId } : { message: text } };
  },
};

/** Every route under /api/v2, and requests there that match none. */
export const API_V2_FAMILY: ApiFamily = { renderer: apiV2Renderer, pathPrefix: '/api/v2' };
