/**
 * The one cookie this server sets (the v1 refresh token) is written and read here, without @fastify/cookie: its
 * plugin adds an onSend hook that every answer of every route runs, for a cookie only three routes touch.
 */

/** The attributes of a Set-Cookie, as the refresh cookie uses them. */
export interface CookieAttributes {
  maxAgeSeconds?: number;
  expires?: Date;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
}

/** RFC 6265 cookie-name: an RFC 7230 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A Set-Cookie value; the value is percent-encoded (a token in base64url stays as it is). Attributes in @fastify/cookie's order. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`invalid cookie name: ${name}`);
  let text = `${name}=${encodeURIComponent(value)}`;
  if (attributes.maxAgeSeconds !== undefined) text += `; Max-Age=${Math.floor(attributes.maxAgeSeconds)}`;
  text += `; Path=${attributes.path}`;
  if (attributes.expires) text += `; Expires=${attributes.expires.toUTCString()}`;
  if (attributes.httpOnly) text += '; HttpOnly';
  if (attributes.secure) text += '; Secure';
  return `${text}; SameSite=${attributes.sameSite}`;
}

/** The Set-Cookie that makes a browser drop the cookie: empty, expired, with the attributes it was set with. */
export function expiredCookie(name: string, attributes: Omit<CookieAttributes, 'maxAgeSeconds' | 'expires'>): string {
  return serializeCookie(name, '', { ...attributes, maxAgeSeconds: 0, expires: new Date(0) });
}

/**
 * The value of the cookie `name` in a Cookie header (`a=1; b=2`): the first of that name, without surrounding
 * quotes, percent-decoded unless that fails; undefined when there is none.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!value.includes('%')) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
