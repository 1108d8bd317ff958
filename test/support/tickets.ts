import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Api } from './fixtures';
import type { TestApp } from './test-app';

/** A ticket as POST /v1/auth and rotate answer it. */
export interface TicketAnswer {
  validEndTime: string;
  validStartTime: string;
  clientToken: string;
  serverKey: string;
  name: string;
  comment: string;
  ticketType: 'JWT' | 'JWT-SIGNER';
  id: number;
  gatewayId: number;
  alg: 'RS256' | 'RS512';
  clientKey?: string;
}

/** A gateway id no other test of the suite uses. */
export const uniqueGateway = () => randomInt(1000, 2_000_000_000);

const pad = (value: number) => String(value).padStart(2, '0');

/** `YYYY-MM-DD`, `days` from today in the server's (the test process's) time zone. */
export function dateFromToday(days: number): string {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** POST /v1/auth → 200; the ticket. */
export async function createTicket(api: Api, body: Record<string, unknown>): Promise<TicketAnswer> {
  const response = await api.post('/v1/auth', { ticketType: 'JWT', validEndTime: dateFromToday(30), ...body });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.code, 200);
  assert.equal(response.body.message, 'success');
  return response.body.data as TicketAnswer;
}

export const kidOf = (ticket: { serverKey: string }) => (JSON.parse(ticket.serverKey) as { kid: string }).kid;

export const jwksUrl = (t: TestApp, gatewayId: number) =>
  new URL(`http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/v1/auth/jwks?gatewayId=${gatewayId}`);

/** The kids GET /v1/auth/jwks lists for the gateway. */
export async function publishedKids(t: TestApp, gatewayId: number): Promise<string[]> {
  const response = await t.http().get(`/v1/auth/jwks?gatewayId=${gatewayId}`);
  assert.equal(response.status, 200, response.text);
  return (response.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort();
}
