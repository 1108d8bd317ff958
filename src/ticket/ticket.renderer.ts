import { SetMetadata } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import { type Lang, message } from '../common/messages';
import { ApiFamily, Encoding, FamilyRouteConfig, Problem, RenderAs, Renderer } from '../common/renderer';

/** The `errorCode` of each status, as the API document spells them (`ACCESS_FORBIDEN` included). */
const ERROR_CODES: Record<number, string> = {
  400: 'param_error',
  401: 'unauthorized',
  403: 'ACCESS_FORBIDEN',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  417: 'expectation_failed',
  429: 'too_many_requests',
  431: 'headers_too_large',
  500: 'internal_error',
  503: 'service_unavailable',
};

export interface TicketSuccess<T = unknown> {
  code: number;
  data: T;
  message: 'success';
}

export interface TicketError {
  code: number;
  errorCode: string;
  message: string;
}

/** The route config of a ticket route: its operation names the root element of its XML answers. */
interface TicketRouteConfig extends FamilyRouteConfig {
  operation?: string;
}

/** A refusal's message: what was wrong with each field for bad input (the document's "The param is must be in ..."), else the catalog's text. */
function errorMessage(problem: Problem, lang: Lang): string {
  const fieldMessages = problem.fieldErrors?.flatMap((field) => field.messages) ?? [];
  return fieldMessages.length > 0 ? fieldMessages.join('; ') : message(problem.messageKey, lang);
}

// XML 1.0 cannot carry these even as character references.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function xmlText(value: string): string {
  return value.replace(NOT_XML, '\ufffd').replace(/[&<>]/g, (c) => XML_ESCAPES[c]);
}

/** One element per property, one per item of an array (the document's `<list>` per ticket), an empty one for null. */
function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  if (value === null || value === undefined) return `<${name}></${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => xmlElement(key, inner))
      .join('')}</${name}>`;
  }
  return `<${name}>${xmlText(String(value))}</${name}>`;
}

export function toXml(root: string, body: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xmlElement(root, body)}`;
}

/** The highest quality the Accept header gives any of these media ranges (0 when it names none). */
function quality(accept: string, ranges: readonly string[]): number {
  let best = 0;
  for (const part of accept.slice(0, 1024).split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    if (!ranges.includes(range.trim())) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(value) && value > best) best = value;
  }
  return best;
}

/** `?format=xml` or `?format=json` decides; otherwise XML when Accept ranks an XML type above JSON (JSON wins ties and `*` + `/*`). */
export function wantsXml(request: Pick<FastifyRequest, 'headers' | 'query'>): boolean {
  const format = (request.query as { format?: unknown } | undefined)?.format;
  if (format === 'xml') return true;
  if (format === 'json') return false;
  const accept = request.headers.accept;
  if (!accept || !accept.includes('xml')) return false;
  return quality(accept, ['application/xml', 'text/xml']) > quality(accept, ['application/json', 'application/*', '*/*']);
}

/**
 * The Aliyun-style family of the gateway-ticket routes (document 003): `{code, data, message: "success"}`,
 * errors `{code, errorCode, message}`, and the same in XML under `<{Operation}Response>` when asked.
 */
export const ticketRenderer: Renderer = {
  success: (status, _messageKey, data): TicketSuccess => ({ code: status, data, message: 'success' }),
  error: (problem, lang) => ({
    body: { code: problem.status, errorCode: ERROR_CODES[problem.status] ?? 'error', message: errorMessage(problem, lang) } satisfies TicketError,
  }),
  encodingFor(request): Encoding | undefined {
    if (!wantsXml(request)) return undefined;
    const operation = (request.routeOptions?.config as TicketRouteConfig | undefined)?.operation;
    const root = operation ? `${operation}Response` : 'Error';
    return { contentType: 'application/xml; charset=utf-8', encode: (body) => toXml(root, body) };
  },
};

/** Every request under /v1/auth, a route or not, is answered in this family. */
export const TICKET_FAMILY: ApiFamily = { renderer: ticketRenderer, pathPrefix: '/v1/auth' };

const OPERATION = 'ticket:operation';

/** The operation a route implements, as the API documents name them (`FindAuthTickets`). */
export const Operation = (name: string) => SetMetadata(OPERATION, name);

/**
 * `@RenderAs(TICKET_FAMILY)`, with each route's `@Operation` copied into its route config, where the renderer
 * reads it. A class decorator runs after every method decorator, so route config set by `@Audited` is kept.
 */
export function RenderAsTicket(): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const operation = Reflect.getMetadata(OPERATION, handler) as string | undefined;
      if (operation === undefined) continue;
      const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined;
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, operation } satisfies TicketRouteConfig, handler);
    }
    RenderAs(TICKET_FAMILY)(target);
  };
}
