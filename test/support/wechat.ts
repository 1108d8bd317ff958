import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

export const WECHAT_APPID = 'wx1f2e3d4c5b6a7980';
export const WECHAT_SECRET = 'c0ffee5ecret4b1d9e8f7a6b5c4d3e2f1';

/** A WeChat user of the stand-in: an openid like WeChat's (28 base64url characters), and a unionid when asked. */
export function wechatUser(withUnionid = false): { openid: string; unionid?: string } {
  const id = () => `o${randomBytes(21).toString('base64url')}`;
  return withUnionid ? { openid: id(), unionid: id() } : { openid: id() };
}

/** What the stand-in answers to one code, once. */
export interface StubAnswer {
  status?: number;
  body?: string;
  contentType?: string;
  /** Milliseconds before the answer starts. */
  delayMs?: number;
  /** Closes the connection without answering. */
  reset?: boolean;
}

/** The jscode2session requests the stand-in received, as WeChat would see them. */
export interface SeenRequest {
  path: string;
  query: Record<string, string>;
}

export interface WechatStub {
  /** A fresh wx.login code that the stand-in trades once for this user, as WeChat does (text/plain JSON). */
  codeFor(user: { openid: string; unionid?: string }): string;
  /** A fresh code answered this way. */
  codeAnswering(answer: StubAnswer): string;
  readonly requests: SeenRequest[];
}

/**
 * Registers node:test hooks that start, before the app, a loopback HTTP server answering
 * `GET /sns/jscode2session` as WeChat does: the user of a known code (then 40163 for it: a code is used once),
 * 40029 for an unknown code, 40013 / 40125 for a wrong appid or secret. Writes WECHAT_API_BASE, WECHAT_APPID and
 * WECHAT_SECRET into `env`, the overrides the suite passes to withApp (read when the app starts).
 */
export function withWechatStub(env: Record<string, string>): WechatStub {
  const answers = new Map<string, StubAnswer>();
  const used = new Set<string>();
  const requests: SeenRequest[] = [];
  let server: Server | undefined;

  const json = (response: ServerResponse, body: unknown, contentType = 'text/plain') => {
    response.writeHead(200, { 'content-type': contentType });
    response.end(JSON.stringify(body));
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ path: url.pathname, query });
    if (url.pathname !== '/sns/jscode2session') return json(response, { errcode: 404, errmsg: 'not found' });
    if (query.appid !== WECHAT_APPID) return json(response, { errcode: 40013, errmsg: 'invalid appid' });
    if (query.secret !== WECHAT_SECRET) return json(response, { errcode: 40125, errmsg: 'invalid appsecret' });
    const code = query.js_code ?? '';
    const answer = answers.get(code);
    if (!answer) return json(response, { errcode: 40029, errmsg: `invalid code, rid: ${randomBytes(6).toString('hex')}` });
    if (used.has(code)) return json(response, { errcode: 40163, errmsg: 'code been used' });
    used.add(code);
    const send = () => {
      if (answer.reset) return request.socket.destroy();
      response.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'text/plain' });
      response.end(answer.body ?? '');
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
    else send();
  };

  before(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    Object.assign(env, {
      WECHAT_API_BASE: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      WECHAT_APPID,
      WECHAT_SECRET,
    });
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const newCode = () => `0${randomBytes(15).toString('base64url')}`;
  return {
    codeFor(user) {
      const code = newCode();
      answers.set(code, { body: JSON.stringify({ session_key: randomBytes(16).toString('base64'), ...user }) });
      return code;
    },
    codeAnswering(answer) {
      const code = newCode();
      answers.set(code, answer);
      return code;
    },
    requests,
  };
}
