import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import type { Browser } from 'playwright-core';
import { describeInBrowser, launchBrowser } from './support/browser';
import { withApp } from './support/fixtures';
import { createPartner, documentClaims, signHs256, userWithContacts } from './support/sso';
import { testDatabases } from './support/test-app';

/**
 * The partner's side, on loopback: its console links to our sign-in, and its landing page trades the code
 * and shows who is logged in, as a real console would.
 */
class PartnerSite {
  private server?: Server;
  /** Requests the landing page was loaded with: its URL and Referer. */
  readonly landings: Array<{ url: string; referer: string | undefined }> = [];
  signInLink = '';
  apiOrigin = '';

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.answer(request, response.writeHead.bind(response), response.end.bind(response)));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.origin;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(request: IncomingMessage, writeHead: (status: number, headers: Record<string, string>) => void, end: (body: string) => void): void {
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname === '/console') {
      writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      end(`<!DOCTYPE html><html><body><a id="sign-in" href="${this.signInLink.replace(/&/g, '&amp;')}">Open the identity console</a></body></html>`);
      return;
    }
    if (url.pathname === '/landing') {
      this.landings.push({ url: url.href, referer: request.headers.referer });
      writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      end(landingPage(this.apiOrigin));
      return;
    }
    writeHead(404, { 'content-type': 'text/plain' });
    end('not found');
  }
}

/** Trades the code, drops it from the address bar, calls GET /user/info and refreshes the session with the cookie. */
function landingPage(apiOrigin: string): string {
  return `<!DOCTYPE html><html><body>
<p id="status">loading</p><p id="user"></p><p id="theme"></p><p id="lang"></p><p id="mark"></p><p id="same-token"></p><p id="refresh"></p>
<script>
const show = (id, text) => (document.getElementById(id).textContent = String(text));
(async () => {
  const params = new URLSearchParams(location.search);
  show('theme', params.get('theme'));
  show('lang', params.get('lang'));
  show('mark', params.get('disableUserMark'));
  const exchanged = await fetch(${JSON.stringify(apiOrigin)} + '/auth/exchange', {
    method: 'POST',
    credentials: 'include',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: params.get('code') }),
  });
  if (!exchanged.ok) return show('status', 'exchange refused: ' + exchanged.status);
  const answer = await exchanged.json();
  const token = answer.data.token;
  history.replaceState(null, '', location.pathname);
  show('same-token', exchanged.headers.get('Authorization') === 'Bearer ' + token);
  const info = await fetch(${JSON.stringify(apiOrigin)} + '/user/info', { headers: { Authorization: 'Bearer ' + token } });
  if (!info.ok) return show('status', 'user/info refused: ' + info.status);
  show('user', (await info.json()).data.user.username);
  const refreshed = await fetch(${JSON.stringify(apiOrigin)} + '/auth/session', {
    method: 'POST',
    credentials: 'include',
    headers: { 'X-Refresh-Token': exchanged.headers.get('X-Refresh-Token') },
  });
  show('refresh', refreshed.status);
  show('status', 'signed in');
})().catch((error) => show('status', 'failed: ' + error.message));
</script>
</body></html>`;
}

for (const database of testDatabases()) {
  describeInBrowser(`partner sign-in in a real browser on ${database.name}`, () => {
    const partnerSite = new PartnerSite();
    let browser: Browser;
    // Read by withApp as the suite starts, after this hook has started the partner's site that CORS must allow.
    const settings: Record<string, string> = {};
    before(async () => {
      settings.CORS_ORIGINS = await partnerSite.start();
      browser = await launchBrowser();
    });
    const t = withApp(database, settings);

    after(async () => {
      await browser?.close();
      await partnerSite.close();
    });

    it('lands in the partner’s console logged in, and the same link then shows the refusal page', async () => {
      const apiOrigin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      partnerSite.apiOrigin = apiOrigin;

      const partner = await createPartner(t.admin, { landingUrl: `${partnerSite.origin}/landing` });
      const user = await userWithContacts(t, t.admin);
      const userToken = signHs256(partner.secret!, documentClaims(user.email));
      partnerSite.signInLink = `${apiOrigin}/account/tokenLogin.do?userToken=${userToken}&defaultClrTheme=dark&defaultLang=en&disableUserMark=1`;

      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${partnerSite.origin}/console`);
        await page.click('#sign-in');
        await page.waitForURL((url) => url.pathname === '/landing');
        await page.waitForFunction(`document.getElementById('status').textContent !== 'loading'`, undefined, { timeout: 10_000 });
        assert.equal(await page.textContent('#status'), 'signed in');
        assert.equal(await page.textContent('#user'), user.username);
        assert.deepEqual([await page.textContent('#theme'), await page.textContent('#lang'), await page.textContent('#mark')], ['dark', 'en', '1']);
        assert.equal(await page.textContent('#same-token'), 'true', 'the token in the body and in Authorization');
        assert.equal(await page.textContent('#refresh'), '204', 'the refresh cookie set by the sign-in works from the browser');

        assert.equal(partnerSite.landings.length, 1);
        const landed = new URL(partnerSite.landings[0].url);
        assert.deepEqual([...landed.searchParams.keys()].sort(), ['code', 'disableUserMark', 'lang', 'theme']);
        assert.ok(!partnerSite.landings[0].url.includes(userToken) && !partnerSite.landings[0].url.includes('eyJ'), 'no token in the landing URL');
        assert.equal(partnerSite.landings[0].referer, undefined, 'the landing page is not told where the browser came from');
        const sessions = await t.dataSource.getRepository(Session).findBy({ userId: user.id, type: 'sso' });
        assert.equal(sessions.length, 1);

        const again = await page.goto(partnerSite.signInLink);
        assert.equal(again?.status(), 401);
        assert.equal(new URL(page.url()).pathname, '/account/tokenLogin.do', 'no redirect');
        assert.equal(await page.textContent('#reason'), 'The sign-in link is invalid or has expired.');
        assert.equal(again?.headers()['referrer-policy'], 'no-referrer');
        assert.equal(partnerSite.landings.length, 1, 'the landing page was not opened again');
      } finally {
        await context.close();
      }
    });
  });
}
