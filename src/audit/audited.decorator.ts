import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

export interface AuditRoute {
  /** The action, or how to name it from the answer's status and error. */
  action: string | ((status: number, errorKey: string | undefined) => string);
  /** The path parameter that names the target. */
  target?: string;
  /** Body fields safe to keep in the details (never passwords or tokens). `*` keeps a whole array body. */
  keep?: string[];
}

/** What a route wants written to the audit log after it has answered. */
export const Audited = (route: AuditRoute) => RouteConfig({ audit: route });

/** Facts a handler knows and the hook cannot see: who the actor was before any token existed, ids made. */
export interface AuditNotes {
  actor?: string;
  target?: string;
  details?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit?: AuditNotes;
  }
}

export function noteAudit(request: FastifyRequest, notes: AuditNotes): void {
  request.audit = { ...request.audit, ...notes, details: { ...request.audit?.details, ...notes.details } };
}
