import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * When the server starts closing, the answers still being prepared go out with
 * `Connection: close`, so that their keep-alive connections end with them: the
 * server closes once the last request has been answered, rather than when idle
 * clients time out (72 s with Fastify's keep-alive timeout). Node closes the
 * connections that are idle at that moment itself.
 */
export function registerGracefulClose(fastify: FastifyInstance): void {
  const sockets = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  fastify.addHook('preClose', (done) => {
    for (const socket of sockets) {
      const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (response && !response.headersSent) response.shouldKeepAlive = false;
    }
    done();
  });
}
