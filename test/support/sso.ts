import assert from 'node:assert/strict';
import { createHmac, createSign, KeyObject } from 'node:crypto';
import type { Response } from 'supertest';
import { RefreshToken } from '../../src/session/entities/refresh-token.entity';
import { Session } from '../../src/session/entities/session.entity';
import { SsoLoginCode } from '../../src/token-login/entities/sso-login-code.entity';
import { SsoTokenUse } from '../../src/token-login/entities/sso-token-use.entity';
import { USER_AGENT } from './auth-helpers';
import type { Api } from './fixtures';
import type { HttpTarget, TestApp } from './test-app';
import { uniqueName } from './users';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token as the partner document's Java example makes it: header {"alg":"HS256"}, the key the secret's UTF-8 bytes. */
export function signHs256(secret: string, claims: object, header: object = { alg: 'HS256' }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An RS256 or ES256 token signed with a partner's private key. */
export function signWithKey(alg: 'RS256' | 'ES256', privateKey: KeyObject, claims: object): string {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const signature = createSign('sha256')
    .update(input)
    .sign(alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** The document's claims: `{payload: {email}, time: now}`, time in milliseconds. */
export const documentClaims = (email: string, time = Date.now()) => ({ payload: { email }, time });

export interface Partner {
  id: number;
  secret: string | null;
  landingUrl: string;
  issuer: string | null;
}

/** POST /sso/partners → 200; an HS256 default partner with a generated secret unless told otherwise. */
export async function createPartner(admin: Api, fields: Record<string, unknown> = {}): Promise<Partner> {
  const response = await admin.post('/sso/partners', {
    name: uniqueName('partner'),
    algorithm: 'HS256',
    landingUrl: `https://console.example.com/landing/${uniqueName('p')}`,
    isDefault: true,
    ...fields,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.data as Partner;
}

/** A registered user with an email, a mobile number and an employee number of its own. */
export async function userWithContacts(t: HttpTarget, admin: Api): Promise<{ id: number; username: string; email: string; phone: string; employeeNo: string }> {
  const username = uniqueName();
  const registered = await t.http().post('/user').send({ username, password: 'Plenty-Long-Secret-42' });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const id = registered.body.data.id as number;
  const digits = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
  const contacts = { email: `${username}@example.com`, phone: `13${digits}`, employeeNo: `E-${username}` };
  const updated = await admin.put(`/user/${id}`, contacts);
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  return { id, username, ...contacts };
}

/** GET /account/tokenLogin.do with the token and presentation parameters, from the e2e User-Agent. */
export function tokenLogin(t: HttpTarget, userToken: string | undefined, params: Record<string, string> = {}, userAgent = USER_AGENT) {
  const query = new URLSearchParams({ ...(userToken === undefined ? {} : { userToken }), ...params });
  return t.http().get(`/account/tokenLogin.do?${query}`).set('User-Agent', userAgent);
}

/** The one-time code of a sign-in's redirect. */
export function codeOf(response: Response): string {
  assert.equal(response.status, 302, response.text);
  const code = new URL(String(response.headers.location)).searchParams.get('code');
  assert.ok(code);
  return code;
}

export function exchange(t: HttpTarget, code: string, userAgent = USER_AGENT) {
  return t.http().post('/auth/exchange').set('User-Agent', userAgent).send({ code });
}

/** What a sign-in may store besides the audit record: sessions, refresh tokens, used partner tokens, codes. */
export async function storedRows(t: TestApp): Promise<Record<string, number>> {
  return {
    sessions: await t.dataSource.getRepository(Session).count(),
    refreshTokens: await t.dataSource.getRepository(RefreshToken).count(),
    usedTokens: await t.dataSource.getRepository(SsoTokenUse).count(),
    codes: await t.dataSource.getRepository(SsoLoginCode).count(),
  };
}

export interface AuditEntry {
  id: number;
  actor: string | null;
  action: string;
  target: string | null;
  outcome: string;
  ip: string;
  userAgent: string;
  details: Record<string, unknown>;
}

/** The newest audit entries of an action, newest first (GET /audit writes what is queued first). */
export async function auditOf(admin: Api, action: string): Promise<AuditEntry[]> {
  const response = await admin.get(`/audit?action=${action}&pageSize=100`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.data.list as AuditEntry[];
}

/** The refusal page: 400 or 401, HTML, no-referrer, and no cookie, no redirect. */
export function assertRefusalPage(response: Response, status: 400 | 401, lang: 'zh' | 'en' = 'zh'): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['referrer-policy'], 'no-referrer');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['set-cookie'], undefined, 'no cookie');
  assert.equal(response.headers.location, undefined, 'no redirect');
  assert.match(response.text, lang === 'en' ? /The sign-in link is invalid or has expired\./ : /登录链接无效或已过期/);
  assert.doesNotMatch(response.text, /"code"|stack|Error|SELECT|INSERT/, 'no JSON envelope, no detail');
}
