import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { envelope } from './envelope';
import { ErrorKey, message, preferredLanguage, statusOf } from './messages';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over
 * 16 KB, broken request lines, timeouts) still get an answer in the envelope.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const key: ErrorKey =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'error.headersTooLarge' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'error.requestTimeout' : 'error.badRequest';
  if (socket.writable) socket.write(rawAnswer(key, 'zh'));
  socket.destroy(error);
}

/** A whole HTTP answer in the envelope, for a socket Fastify never sees. */
function rawAnswer(key: ErrorKey, lang: ReturnType<typeof preferredLanguage>): string {
  const status = statusOf(key);
  const body = JSON.stringify(envelope(status, message(key, lang), null));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`;
}

/** An answer in the envelope written by Node's own response, for requests refused before Fastify sees them. */
function refuse(request: IncomingMessage, response: ServerResponse, key: ErrorKey): void {
  const status = statusOf(key);
  const body = JSON.stringify(envelope(status, message(key, preferredLanguage(request.headers['accept-language'])), null));
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': randomUUID(),
    connection: 'close',
  });
  response.end(body);
}

/**
 * Requests Node answers itself with an empty body, or not at all: an HTTP/1.1 request without a Host header
 * (400), an Expect header other than 100-continue (417), a CONNECT (the connection was dropped). They are
 * answered in the envelope instead; the Host check moves in front of Fastify's handler, where it costs one
 * property read.
 */
export function answerNodeRefusalsInEnvelope(server: Server): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => refuse(request, response, 'error.expectationFailed'));
  server.on('connect', (request: IncomingMessage, socket: Socket) =>
    socket.end(rawAnswer('error.methodNotAllowed', preferredLanguage(request.headers['accept-language']))),
  );
  const [fastifyHandler] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (!fastifyHandler) return;
  // Read by Node on each request; its types omit it.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.removeListener('request', fastifyHandler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1) refuse(request, response, 'error.badRequest');
    else fastifyHandler(request, response);
  });
}
