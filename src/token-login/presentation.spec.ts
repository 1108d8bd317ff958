import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { landingLocation, presentationOf, requestedLanguage } from './presentation';
import { escapeHtml, refusalPage, refusalPageRenderer } from './refusal-page';

describe('presentationOf', () => {
  it('passes on the document’s values', () => {
    assert.deepEqual(presentationOf({ defaultClrTheme: 'dark', defaultLang: 'en', disableUserMark: '1' }, undefined), {
      theme: 'dark',
      lang: 'en',
      disableUserMark: 1,
    });
    assert.deepEqual(presentationOf({ defaultClrTheme: 'LIGHT', defaultLang: 'zh_CN', disableUserMark: '0' }, 'en'), {
      theme: 'light',
      lang: 'zh',
      disableUserMark: 0,
    });
    assert.deepEqual(presentationOf({ defaultLang: 'en-US', disableUserMark: 'true' }, undefined), { theme: 'light', lang: 'en', disableUserMark: 1 });
  });

  it('falls back to the defaults for anything else, the language to Accept-Language', () => {
    const odd = { defaultClrTheme: 'red', defaultLang: '<script>alert(1)</script>', disableUserMark: 'yes please' };
    assert.deepEqual(presentationOf(odd, 'en-GB,en;q=0.9'), { theme: 'light', lang: 'en', disableUserMark: 0 });
    assert.deepEqual(presentationOf({ defaultClrTheme: ['dark', 'dark'], defaultLang: ['en'], disableUserMark: ['1'] }, undefined), {
      theme: 'light',
      lang: 'zh',
      disableUserMark: 0,
    });
    assert.equal(requestedLanguage('fr', 'en'), 'en');
    assert.equal(requestedLanguage(undefined, undefined), 'zh');
  });
});

describe('landingLocation', () => {
  it('is the configured URL with the code and the presentation, whatever else it held', () => {
    const location = landingLocation('https://console.example.com/sso/landing?tenant=7&code=stale#top', 'C0DE', {
      theme: 'dark',
      lang: 'en',
      disableUserMark: 1,
    });
    const url = new URL(location);
    assert.equal(url.origin + url.pathname, 'https://console.example.com/sso/landing');
    assert.deepEqual(
      [...url.searchParams],
      [
        ['tenant', '7'],
        ['code', 'C0DE'],
        ['theme', 'dark'],
        ['lang', 'en'],
        ['disableUserMark', '1'],
      ],
    );
    assert.equal(url.hash, '#top');
  });
});

describe('the refusal page', () => {
  it('escapes what it shows', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    assert.match(refusalPage('en', '<b>'), /<p id="reason">&lt;b&gt;<\/p>/);
  });

  it('answers client errors as 400 or 401 with the same sentence, outages with their status and their own sentence', () => {
    const problem = (status: number, messageKey: 'error.ssoLinkInvalid' | 'error.validation' | 'error.databaseUnavailable' | 'error.routeNotFound') => ({
      status,
      messageKey,
      data: null,
      fieldErrors: undefined,
      requestId: 'r',
      unexpected: false,
    });
    const invalid = refusalPageRenderer.error(problem(401, 'error.ssoLinkInvalid'), 'en');
    assert.equal(invalid.status, 401);
    assert.match(String(invalid.body), /The sign-in link is invalid or has expired\./);
    assert.equal(invalid.contentType, 'text/html; charset=utf-8');
    assert.equal(invalid.headers?.['referrer-policy'], 'no-referrer');
    const notFound = refusalPageRenderer.error(problem(404, 'error.routeNotFound'), 'zh');
    assert.equal(notFound.status, 400);
    assert.match(String(notFound.body), /登录链接无效或已过期/);
    const outage = refusalPageRenderer.error(problem(503, 'error.databaseUnavailable'), 'en');
    assert.equal(outage.status, 503);
    assert.match(String(outage.body), /The database is unavailable/);
  });
});
