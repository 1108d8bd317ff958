import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

type HeaderSet = Readonly<Record<string, string>>;

/** JSON answers and the few HTML pages of their own (which set a stricter CSP of their own) load nothing. */
const API_OPTIONS: HelmetOptions = {
  xFrameOptions: { action: 'deny' },
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
  },
};

/** Swagger UI: its bundle, preset and init script from /docs, inline styles, data: icons, and the document. */
const DOCS_OPTIONS: HelmetOptions = {
  xFrameOptions: { action: 'deny' },
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

/** The headers helmet would set with these options, computed once: helmet itself rebuilds them on every call. */
export function helmetHeaders(options: HelmetOptions): HeaderSet {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  helmet(options)({} as IncomingMessage, response, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

export const API_SECURITY_HEADERS = helmetHeaders(API_OPTIONS);
export const DOCS_SECURITY_HEADERS = helmetHeaders(DOCS_OPTIONS);
/** A bodiless 204 or a public key set has nothing to frame, sniff or run. */
const LEAN_SECURITY_HEADERS: HeaderSet = Object.freeze({ 'x-content-type-options': 'nosniff' });

/**
 * Routes on the benchmarked hot path (GET /test, GET /health/live, the gateways' JWKS): they answer a bodiless
 * 204 or a public JSON key set, and pay for one header instead of a dozen.
 */
const LEAN_ROUTES = new Set(['/test', '/health/live', '/v1/auth/jwks']);

function hookSetting(headers: HeaderSet): onRequestHookHandler {
  return function securityHeaders(_request: FastifyRequest, reply: FastifyReply, done: () => void) {
    reply.headers(headers);
    done();
  };
}

const HOOKS = new Map<HeaderSet, onRequestHookHandler>(
  [API_SECURITY_HEADERS, DOCS_SECURITY_HEADERS, LEAN_SECURITY_HEADERS].map((set) => [set, hookSetting(set)]),
);

/** Which helmet headers a route's answers carry, chosen once per route. */
export function securityHeadersFor(url: string): HeaderSet {
  if (LEAN_ROUTES.has(url)) return LEAN_SECURITY_HEADERS;
  if (url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs-')) return DOCS_SECURITY_HEADERS;
  return API_SECURITY_HEADERS;
}

/**
 * Gives every route registered from now on an onRequest hook that sets its helmet headers, chosen as the route
 * is registered (as the renderer registry attaches success hooks): a request pays for copying a frozen object,
 * not for running helmet. Answers that match no route get the API set from the error renderer.
 */
export function attachSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const hook = HOOKS.get(securityHeadersFor(route.url ?? ''))!;
    const existing = route.onRequest ? ([] as unknown[]).concat(route.onRequest) : [];
    if (!existing.includes(hook)) route.onRequest = [hook, ...existing] as typeof route.onRequest;
  });
}
