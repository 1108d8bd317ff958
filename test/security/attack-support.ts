import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { routeAccessTable } from '../support/route-table';
import type { TestApp } from '../support/test-app';

/** One route of the application's route table, as the global guard sees it. */
export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** As the table spells it: `/user/{uid}`. */
  path: string;
  /** 'public', 'any logged-in caller', or the scopes it requires separated by spaces. */
  access: string;
  /** A concrete URL for it: every path parameter filled with a plausible value. */
  url: string;
}

/** Path parameters filled with values that would name a real record, so a refusal is the guard's, not a 404. */
const SAMPLE_PARAMETERS: Record<string, string> = { code: 'userMan' };

/** The routes the running application registered, read from the metadata its guard reads (not a checked-in list). */
export function routesOf(t: TestApp): RouteEntry[] {
  return Object.entries(routeAccessTable(t.app)).map(([key, access]) => {
    const [method, path] = key.split(' ') as [RouteEntry['method'], string];
    const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => SAMPLE_PARAMETERS[name] ?? '1');
    return { method, path, access, url };
  });
}

export const isProtected = (route: RouteEntry) => route.access !== 'public';
export const scopesOf = (route: RouteEntry) => (route.access === 'public' || route.access === 'any logged-in caller' ? [] : route.access.split(' '));

/** Tables whose rows an attacker's refused request may add to by design: the audit trail records refusals. */
const WRITTEN_BY_REFUSALS = new Set(['audit_log']);

/**
 * Every row of every table but the audit trail, in a stable order: equal before and after a refused request
 * means the request changed nothing (no session, no token, no role, no counter).
 */
export async function databaseRows(t: TestApp): Promise<Record<string, string[]>> {
  const rows: Record<string, string[]> = {};
  const tables = [...new Set(t.dataSource.entityMetadatas.map((metadata) => metadata.tableName))].filter((name) => !WRITTEN_BY_REFUSALS.has(name)).sort();
  for (const table of tables) {
    const quoted = t.config.database.type === 'mysql' ? `\`${table}\`` : `"${table}"`;
    const found = (await t.dataSource.query(`SELECT * FROM ${quoted}`)) as Array<Record<string, unknown>>;
    rows[table] = found.map((row) => JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('hex') : value))).sort();
  }
  return rows;
}

/** Runs `attack` and asserts that no table but the audit trail changed. */
export async function changesNothing<T>(t: TestApp, attack: () => Promise<T>): Promise<T> {
  const before = await databaseRows(t);
  const result = await attack();
  const after = await databaseRows(t);
  for (const table of Object.keys(before)) assert.deepEqual(after[table], before[table], `table ${table} is unchanged`);
  return result;
}

const LEAKS = /\bstack\b|QueryFailedError|ER_[A-Z_]+|SQLITE_[A-Z]+|\bSELECT\s|\bINSERT\s|\bUPDATE\s+\S+\s+SET\b|at \w+ \(|node_modules|\/src\//;

/** No stack trace, SQL or source path in the body, whatever its type. */
export function assertNoLeak(response: Response, label = ''): void {
  const text = response.text ?? JSON.stringify(response.body);
  assert.doesNotMatch(text ?? '', LEAKS, `${label}: nothing of the server's internals in the body`);
}

/** A request of the route's method with a bearer token (or none), and an empty JSON body where one can go. */
export function call(t: TestApp, route: Pick<RouteEntry, 'method' | 'url'>, token?: string, headers: Record<string, string> = {}) {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let request = t.http()[method](route.url);
  if (token !== undefined) request = request.set('Authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) request = request.set(name, value);
  return route.method === 'GET' || route.method === 'DELETE' ? request : request.send({});
}

export const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
