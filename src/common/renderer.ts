import { METHOD_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import type { Lang, MessageKey } from './messages';
import { FieldMessages, localizeErrorData } from './validation-messages';

/** An error as every family sees it, before the family gives it its shape. */
export interface Problem {
  /** The catalog's status for the message key. */
  status: number;
  messageKey: MessageKey;
  /** What the exception carries for the client, validation messages in the answer's language; null for an unexpected error. */
  data: unknown;
  /** The fields a validation error names, with their messages in the answer's language. */
  fieldErrors: FieldMessages[] | undefined;
  requestId: string;
  /** A 500: logged with its stack, answered without it. */
  unexpected: boolean;
}

/** A body written in another media type than JSON. */
export interface Encoding {
  contentType: string;
  encode(body: unknown): string;
}

/** An error as a family answers it. */
export interface RenderedError {
  /** When the family answers with another status than the catalog's (a 422 for invalid input). */
  status?: number;
  /** Sent as JSON, unless a content type is given: then it is the text to send. */
  body: unknown;
  /** For a family that does not answer in JSON (an HTML page): the Content-Type of `body`, a string. */
  contentType?: string;
  /** Headers of the family's own, besides the shared ones. */
  headers?: Readonly<Record<string, string>>;
}

/** How one API family shapes its bodies. Headers (x-request-id, www-authenticate, retry-after, cache-control) are not its concern. */
export interface Renderer {
  /** The body of a success: runs on every request, so it should do no more than build the object. */
  success(status: number, messageKey: MessageKey, data: unknown, lang: Lang): unknown;
  /** The body of an error, and the status when the family answers with another one than the catalog's (a 422 for invalid input). */
  error(problem: Problem, lang: Lang): RenderedError;
  /** The language of an error answer, for a family that reads it from the request itself; Accept-Language otherwise. */
  languageOf?(request: FastifyRequest): Lang;
  /**
   * For a family that also answers in another media type (XML): the encoding this request asks for, successes
   * and errors alike; undefined answers JSON. Without it, every answer is JSON.
   */
  encodingFor?(request: FastifyRequest): Encoding | undefined;
}

/** A family of routes answered in one shape. */
export interface ApiFamily {
  readonly renderer: Renderer;
  /**
   * Requests under this path that match no route (404s, refused URLs, oversized headers) are answered by this
   * family too, once one of its routes is registered. A path such as `/api/v2`: it covers `/api/v2` and `/api/v2/…`.
   */
  readonly pathPrefix?: string;
  /**
   * The audit entry of a request under `pathPrefix` refused before any route saw it (over Node's header limit,
   * a broken request line), for a family whose every attempt must be on record. Others are only answered.
   */
  readonly auditRawRefusal?: (messageKey: MessageKey) => { action: string; details: Record<string, unknown> } | undefined;
}

/** Where a route's family is kept: the Fastify route config, read once as the route is registered. */
export interface FamilyRouteConfig {
  family?: ApiFamily;
}

/**
 * Every route of the controller answers in this family, successes and errors alike. Merged into the route
 * config of each handler (as `@RouteConfig` sets it), so the family is known per route at startup. A class
 * decorator runs after the method decorators, so `@Audited` and other route config on a method are kept.
 */
export function RenderAs(family: ApiFamily): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined;
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, family } satisfies FamilyRouteConfig, handler);
    }
  };
}

/** The classified error in `renderer`'s shape, with the status it is answered with. */
export function renderProblem(
  renderer: Renderer,
  error: { status: number; messageKey: MessageKey; data: unknown; unexpected: boolean },
  requestId: string,
  lang: Lang,
): RenderedError & { status: number } {
  const data = error.unexpected ? null : localizeErrorData(error.data, lang);
  const errors = (data as { errors?: unknown } | null)?.errors;
  const problem: Problem = {
    status: error.status,
    messageKey: error.messageKey,
    data,
    fieldErrors: Array.isArray(errors) ? (errors as FieldMessages[]) : undefined,
    requestId,
    unexpected: error.unexpected,
  };
  const rendered = renderer.error(problem, lang);
  return { ...rendered, status: rendered.status ?? error.status };
}
