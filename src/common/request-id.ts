import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Random for each process, so ids from several instances do not collide in one log. */
const PREFIX = randomUUID().slice(0, 24);
let counter = 0;

/**
 * A new request id, shaped like a UUID: this process's random prefix and a counter. It names a request in the logs
 * and in error answers and is no secret; a counter costs a fraction of a random UUID on every request.
 */
export function newRequestId(): string {
  counter = counter === 0xffffffffffff ? 1 : counter + 1;
  return PREFIX + counter.toString(16).padStart(12, '0');
}

/** A caller's X-Request-Id is kept when it is sane, so logs line up across services; otherwise a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : newRequestId();
}
