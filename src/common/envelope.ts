import { message, MessageKey } from './messages';
import type { ApiFamily, Renderer } from './renderer';

/** The body every route of this family sends: `msg` and `message` carry the same text. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  msg: string;
  data: T | null;
}

export function envelope<T>(code: number, text: string, data: T | null): Envelope<T> {
  return { code, message: text, msg: text, data };
}

/** What a controller returns: the payload and the catalog key of its message. */
export class Reply<T = unknown> {
  constructor(
    readonly messageKey: MessageKey,
    readonly data: T | null = null,
  ) {}
}

/** `{code, message, msg, data}` for successes and errors alike; an unexpected error's data is its request id. */
const envelopeRenderer: Renderer = {
  success: (status, messageKey, data, lang) => envelope(status, message(messageKey, lang), data),
  error: (problem, lang) => ({
    body: envelope(problem.status, message(problem.messageKey, lang), problem.unexpected ? { requestId: problem.requestId } : problem.data),
  }),
};

/** The default family: every route that declares no other, and every request under no other family's path. */
export const ENVELOPE_FAMILY: ApiFamily = { renderer: envelopeRenderer };
