import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { envelope } from './envelope';
import { message, MessageKey } from './messages';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over
 * 16 KB, broken request lines, timeouts) still get an answer in the envelope.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, key]: [number, MessageKey] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'error.headersTooLarge']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'error.requestTimeout']
        : [400, 'error.badRequest'];
  const body = JSON.stringify(envelope(status, message(key, 'zh'), null));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
