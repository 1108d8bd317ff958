import type { FastifyRequest } from 'fastify';
import { Lang, message } from '../common/messages';
import type { ApiFamily, Renderer } from '../common/renderer';
import { requestedLanguage } from './presentation';

const PAGE_HEADERS = {
  // The page's URL holds the partner's token: no link or resource may send it on as a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** The page a refused sign-in shows: the same sentence whatever the reason, in the requested language. */
export function refusalPage(lang: Lang, text: string): string {
  const title = escapeHtml(message('sso.refusalTitle', lang));
  return `<!DOCTYPE html>
<html lang="${lang === 'en' ? 'en' : 'zh-CN'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f5f6f8;color:#1f2329}main{max-width:28rem;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.1)}h1{font-size:1.25rem;margin:0 0 1rem}</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p id="reason">${escapeHtml(text)}</p>
<p>${escapeHtml(message('sso.refusalHint', lang))}</p>
</main>
</body>
</html>
`;
}

/**
 * The partner sign-in answers its errors as this page, status 401 (the token was not accepted) or 400 (the
 * request is broken; every other client error too), never the JSON envelope. An outage keeps its status and
 * says so, as no link would work then; so does 429 (too many failed links from this address, Retry-After).
 */
export const refusalPageRenderer: Renderer = {
  success: (_status, _messageKey, data) => data,
  error: (problem, lang) => {
    const outage = problem.status >= 500;
    const kept = outage || problem.status === 429;
    return {
      status: kept ? problem.status : problem.status === 401 ? 401 : 400,
      body: refusalPage(lang, message(kept ? problem.messageKey : 'error.ssoLinkInvalid', lang)),
      contentType: 'text/html; charset=utf-8',
      headers: PAGE_HEADERS,
    };
  },
  languageOf: (request: FastifyRequest) => {
    // Unparsed when the router refused the URL before reading its query.
    const query = request.query as Record<string, unknown> | undefined;
    return requestedLanguage(query?.defaultLang, request.headers['accept-language']);
  },
};

/** GET /account/tokenLogin.do, and whatever is refused on that path before it is routed (a URL over Node's header limit). */
export const SIGN_IN_PAGE_FAMILY: ApiFamily = {
  renderer: refusalPageRenderer,
  pathPrefix: '/account/tokenLogin.do',
  // Every attempt is on record, a link too long for Node to read included (its userToken, almost surely).
  auditRawRefusal: (messageKey) =>
    messageKey === 'error.headersTooLarge' || messageKey === 'error.badRequest'
      ? { action: 'sso_refused', details: { reason: messageKey === 'error.headersTooLarge' ? 'token_too_long' : 'malformed' } }
      : undefined,
};
