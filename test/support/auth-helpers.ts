import assert from 'node:assert/strict';
import type { HttpTarget } from './test-app';
import { ADMIN_PASSWORD } from './test-app';

export const USER_AGENT = 'identity-e2e/1.0';

export interface LoggedIn {
  accessToken: string;
  refreshToken: string;
  userId: number;
  setCookie: string;
}

export async function login(t: HttpTarget, username = 'admin', password = ADMIN_PASSWORD, userAgent = USER_AGENT): Promise<LoggedIn> {
  const response = await t.http().post('/auth/login').set('User-Agent', userAgent).send({ username, password });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const authorization = String(response.headers.authorization);
  assert.match(authorization, /^Bearer /);
  return {
    accessToken: authorization.slice('Bearer '.length),
    refreshToken: String(response.headers['x-refresh-token']),
    userId: response.body.data.userId,
    setCookie: ([] as string[]).concat(response.headers['set-cookie'] ?? []).join('\n'),
  };
}

/** POST /auth/session as the documents' clients do it: the cookie and the header. */
export function refresh(t: HttpTarget, refreshToken: string, userAgent = USER_AGENT) {
  return t.http().post('/auth/session').set('User-Agent', userAgent).set('Cookie', `token=${refreshToken}`).set('X-Refresh-Token', refreshToken);
}

export function checkToken(t: HttpTarget, accessToken: string) {
  return t.http().get('/test').set('Authorization', `Bearer ${accessToken}`);
}

export function assertEnvelope(
  body: unknown,
  code: number,
): // eslint-disable-next-line @typescript-eslint/no-explicit-any
asserts body is { code: number; message: string; msg: string; data: any } {
  const envelope = body as Record<string, unknown>;
  assert.equal(envelope.code, code, JSON.stringify(body));
  assert.equal(typeof envelope.message, 'string');
  assert.equal(envelope.msg, envelope.message);
  assert.ok('data' in envelope, 'the envelope has data');
  const text = JSON.stringify(body);
  assert.doesNotMatch(text, /stack|QueryFailedError|SELECT |INSERT |at \w+ \(/, 'no stack or SQL in the body');
}

/** Requests carrying a bearer token. */
export function as(t: HttpTarget, accessToken: string) {
  const auth = `Bearer ${accessToken}`;
  return {
    get: (path: string) => t.http().get(path).set('Authorization', auth),
    post: (path: string, body?: unknown) =>
      t
        .http()
        .post(path)
        .set('Authorization', auth)
        .send(body as object),
    put: (path: string, body?: unknown) =>
      t
        .http()
        .put(path)
        .set('Authorization', auth)
        .send(body as object),
    delete: (path: string) => t.http().delete(path).set('Authorization', auth),
  };
}

/** Milliseconds until `t` refuses the token (polled every 25 ms), or undefined if it still accepts it after limitMs. */
export async function msUntilRefused(t: HttpTarget, accessToken: string, since: number, limitMs = 3000): Promise<number | undefined> {
  while (Date.now() - since < limitMs) {
    if ((await checkToken(t, accessToken)).status === 401) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}
