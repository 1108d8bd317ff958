import type { MessageKey } from './messages';

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
