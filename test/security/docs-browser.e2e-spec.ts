import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchBrowser } from '../support/browser';
import { withApp } from '../support/fixtures';
import { testDatabases } from '../support/test-app';

/** Every CSP violation the page reports, from the DOM event and from the console, as the browser sees them. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(event.violatedDirective + ' ' + event.blockedURI));",
  });
  return violations;
}

// The documents do not depend on the database: SQLite alone.
const [database] = testDatabases();
describeInBrowser(`the helmet CSP in a real browser on ${database.name}`, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  const t = withApp(database, {}, { adminLogin: 'never' });
  const origin = () => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

  it('Swagger UI on /docs renders the document, with no CSP violation', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations = await watchViolations(page);
      const response = await page.goto(`${origin()}/docs`);
      assert.equal(response?.status(), 200);
      assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      // The title comes from /docs-json, fetched by the page's own script: scripts ran and connect-src allowed it.
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
      assert.match((await page.textContent('.swagger-ui .info .title')) ?? '', /Identity server/);
      await page.waitForSelector('.opblock-tag', { timeout: 15_000 });
      assert.ok((await page.locator('.opblock').count()) > 40, 'the operations are listed');
      await page.waitForTimeout(300);
      assert.deepEqual(violations, []);
    } finally {
      await context.close();
    }
  });

  it('the sign-in refusal page shows its styled text, with no CSP violation', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    try {
      const page = await context.newPage();
      const violations = await watchViolations(page);
      const response = await page.goto(`${origin()}/account/tokenLogin.do?userToken=forged`);
      assert.equal(response?.status(), 400);
      assert.equal(await page.textContent('#reason'), '登录链接无效或已过期');
      // Its inline <style> applies: the page is centred with flex.
      assert.equal(await page.evaluate('getComputedStyle(document.body).display'), 'flex');
      assert.deepEqual(violations, []);
    } finally {
      await context.close();
    }
  });
});
