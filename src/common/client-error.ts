import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorKey, Lang, preferredLanguage, statusOf } from './messages';
import { renderProblem } from './renderer';
import type { RendererRegistry } from './renderer-registry';
import { newRequestId } from './request-id';

/** A refusal in the family of the request's path, with the request id it is answered under. */
function renderRefusal(renderers: RendererRegistry, url: string, key: ErrorKey, lang: Lang) {
  const requestId = newRequestId();
  const rendered = renderProblem(renderers.forUrl(url), { status: statusOf(key), messageKey: key, data: null, unexpected: false }, requestId, lang);
  return {
    status: rendered.status,
    body: rendered.contentType ? String(rendered.body) : JSON.stringify(rendered.body),
    contentType: rendered.contentType ?? 'application/json; charset=utf-8',
    headers: rendered.headers ?? {},
    requestId,
  };
}

/**
 * The path of the request line Node's parser gave up on, when the refused bytes begin with it (a request whose
 * headers overflow usually arrives in one piece): enough of it to pick the family. Empty otherwise.
 */
function pathOfRawRequest(rawPacket: unknown): string {
  if (!Buffer.isBuffer(rawPacket)) return '';
  const start = rawPacket.subarray(0, 2048).toString('latin1');
  const match = /^[A-Z]+ (\/[^ \r\n]*)/.exec(start);
  return match ? match[1] : '';
}

/** A whole HTTP answer for a socket Fastify never sees. */
function rawAnswer(renderers: RendererRegistry, url: string, key: ErrorKey, lang: Lang): string {
  const { status, body, contentType, headers, requestId } = renderRefusal(renderers, url, key, lang);
  const own = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${own.join('')}Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KB, broken request lines,
 * timeouts) still get an answer, in the family of the path when the request line can be read.
 */
export function clientErrorHandler(renderers: RendererRegistry): (error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const key: ErrorKey =
      error.code === 'HPE_HEADER_OVERFLOW' ? 'error.headersTooLarge' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'error.requestTimeout' : 'error.badRequest';
    const path = pathOfRawRequest(error.rawPacket);
    if (socket.writable) socket.write(rawAnswer(renderers, path, key, 'zh'));
    socket.destroy(error);
    renderers.refusedRaw(path, key, socket.remoteAddress, undefined);
  };
}

/** An answer written by Node's own response, for requests refused before Fastify sees them. */
function refuse(renderers: RendererRegistry, request: IncomingMessage, response: ServerResponse, key: ErrorKey): void {
  const { status, body, contentType, headers, requestId } = renderRefusal(
    renderers,
    request.url ?? '',
    key,
    preferredLanguage(request.headers['accept-language']),
  );
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    connection: 'close',
  });
  response.end(body);
  const userAgent = request.headers['user-agent'];
  renderers.refusedRaw(request.url ?? '', key, request.socket.remoteAddress, typeof userAgent === 'string' ? userAgent : undefined);
}

/**
 * Requests Node answers itself with an empty body, or not at all: an HTTP/1.1 request without a Host header
 * (400), an Expect header other than 100-continue (417), a CONNECT (the connection was dropped). They are
 * answered in the family of their path instead; the Host check moves in front of Fastify's handler, where it
 * costs one property read.
 */
export function answerNodeRefusals(server: Server, renderers: RendererRegistry): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => refuse(renderers, request, response, 'error.expectationFailed'));
  // A CONNECT names a host, not a path: the default family answers it.
  server.on('connect', (request: IncomingMessage, socket: Socket) =>
    socket.end(rawAnswer(renderers, '', 'error.methodNotAllowed', preferredLanguage(request.headers['accept-language']))),
  );
  const [fastifyHandler] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (!fastifyHandler) return;
  // Read by Node on each request; its types omit it.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.removeListener('request', fastifyHandler);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1)
      refuse(renderers, request, response, 'error.badRequest');
    else fastifyHandler(request, response);
  });
}
