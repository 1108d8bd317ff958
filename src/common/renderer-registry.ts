import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENVELOPE_FAMILY, Reply } from './envelope';
import { MessageKey, preferredLanguage } from './messages';
import type { ApiFamily, FamilyRouteConfig, Renderer } from './renderer';

/** A request refused before Fastify saw it: too large, or not HTTP enough to route. */
export interface RawRefusal {
  family: ApiFamily;
  messageKey: MessageKey;
  ip: string | undefined;
  userAgent: string | undefined;
}

type SuccessHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => void;

/**
 * Which family answers a request. A route's family is resolved once, as the route is registered: its
 * renderer's success hook becomes a preSerialization hook of that route alone, so a request pays for no
 * lookup. Errors find the family in the route config; requests that match no route, by path prefix.
 */
export class RendererRegistry {
  /** Families with a path prefix, longest prefix first. */
  private prefixed: Array<{ base: string; family: ApiFamily }> = [];
  private readonly successHooks = new Map<Renderer, SuccessHook>();
  private readonly rawRefusalListeners: Array<(refusal: RawRefusal) => void> = [];

  constructor(private readonly fallback: ApiFamily = ENVELOPE_FAMILY) {}

  /** Gives every route registered from now on the success hook of its family, the default one unless it declares another. */
  attach(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const family = (route.config as FamilyRouteConfig | undefined)?.family ?? this.fallback;
      this.add(family);
      const hook = this.successHook(family.renderer);
      const existing = route.preSerialization ? ([] as unknown[]).concat(route.preSerialization) : [];
      // Fastify's HEAD twin of a GET route comes through here again with the GET route's hooks.
      if (!existing.includes(hook)) route.preSerialization = [...existing, hook] as typeof route.preSerialization;
    });
  }

  /** Makes the family's path prefix answer requests that match no route; two families cannot share one. */
  add(family: ApiFamily): void {
    if (family.pathPrefix === undefined || this.prefixed.some((entry) => entry.family === family)) return;
    const base = family.pathPrefix.replace(/\/+$/, '');
    if (!family.pathPrefix.startsWith('/')) throw new Error(`An API family's path prefix must start with "/": ${family.pathPrefix}`);
    if (this.prefixed.some((entry) => entry.base === base)) throw new Error(`Two API families claim the path prefix ${family.pathPrefix}`);
    this.prefixed = [...this.prefixed, { base, family }].sort((a, b) => b.base.length - a.base.length);
  }

  /** The renderer of an error: the route's family, or for a request that matched no route, the family of its path. */
  forRequest(request: FastifyRequest): Renderer {
    const family = (request.routeOptions.config as FamilyRouteConfig | undefined)?.family;
    if (family) return family.renderer;
    return request.is404 ? this.forUrl(request.url) : this.fallback.renderer;
  }

  /** The renderer of the family whose path prefix the URL (path and query) falls under, the default one otherwise. */
  forUrl(url: string): Renderer {
    return this.familyOfUrl(url).renderer;
  }

  /** Calls `listener` for each request refused before Fastify saw it, with the family of its path. */
  onRawRefusal(listener: (refusal: RawRefusal) => void): void {
    this.rawRefusalListeners.push(listener);
  }

  /** A request Node refused before Fastify saw it has been answered. */
  refusedRaw(url: string, messageKey: MessageKey, ip: string | undefined, userAgent: string | undefined): void {
    const family = this.familyOfUrl(url);
    for (const listener of this.rawRefusalListeners) listener({ family, messageKey, ip, userAgent });
  }

  private familyOfUrl(url: string): ApiFamily {
    for (const { base, family } of this.prefixed) if (isUnder(url, base)) return family;
    return this.fallback;
  }

  private successHook(renderer: Renderer): SuccessHook {
    let hook = this.successHooks.get(renderer);
    if (!hook) {
      // Fastify calls it only for bodies it serialises as JSON; a callback hook, as it never waits.
      hook = (request, reply, payload, done) => {
        // Every JSON answer of an identity server is a token, personal data or an account's rights, unless
        // its route says otherwise (the public key sets).
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        if (!(payload instanceof Reply)) return done(null, payload);
        const body = renderer.success(reply.statusCode, payload.messageKey, payload.data, preferredLanguage(request.headers['accept-language']));
        const encoding = renderer.encodingFor?.(request);
        // The reply's own serializer replaces JSON.stringify for this answer alone.
        if (encoding) reply.type(encoding.contentType).serializer(encoding.encode);
        done(null, body);
      };
      this.successHooks.set(renderer, hook);
    }
    return hook;
  }
}

/** `/api/v2` covers `/api/v2`, `/api/v2/…` and `/api/v2?…`, not `/api/v2x`. */
function isUnder(url: string, base: string): boolean {
  if (!url.startsWith(base)) return false;
  const next = url[base.length];
  return next === undefined || next === '/' || next === '?';
}
