import http, { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers of one connection, not of the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A load balancer in front of several instances, as nginx's round robin is in the scaled docker-compose profile. */
export interface RoundRobinProxy {
  url: string;
  /** How many requests each target was sent, in the order of the targets. */
  readonly forwarded: readonly number[];
  close(): Promise<void>;
}

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)));
}

/**
 * Forwards each request (method, path and query, headers, body) to the next target in turn, over keep-alive
 * connections, and appends the client's address to X-Forwarded-For as nginx's `$proxy_add_x_forwarded_for`
 * does: behind it, instances with TRUST_PROXY=1 see the client's address and ignore what the client wrote there.
 * A target that cannot be reached is answered 502.
 */
export async function startRoundRobinProxy(targets: readonly string[]): Promise<RoundRobinProxy> {
  const upstreams = targets.map((target) => new URL(target));
  const forwarded = upstreams.map(() => 0);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;

  const server = http.createServer((request, response) => {
    const index = next;
    next = (next + 1) % upstreams.length;
    forwarded[index]++;
    const upstream = upstreams[index];
    const headers = forwardable(request.headers);
    const client = request.socket.remoteAddress ?? '';
    const before = request.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = before ? `${String(before)}, ${client}` : client;
    headers['x-forwarded-proto'] = 'http';

    const outgoing = http.request({ agent, host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
      answer.pipe(response);
    });
    outgoing.on('error', () => {
      if (response.headersSent) response.destroy();
      else response.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
    });
    request.pipe(outgoing);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
