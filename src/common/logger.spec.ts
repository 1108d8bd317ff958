import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { createLogger, redactUrl, withLazyChildren } from './logger';

describe('redactUrl', () => {
  it('replaces the values of credential-bearing query parameters, whatever their case or spelling', () => {
    assert.equal(
      redactUrl('/account/tokenLogin.do?userToken=eyJ.a.b&defaultLang=en&disableUserMark=1'),
      '/account/tokenLogin.do?userToken=[redacted]&defaultLang=en&disableUserMark=1',
    );
    assert.equal(
      redactUrl('/x?USERTOKEN=a&code=b&user%54oken=c&token[]=d&refresh_token=e'),
      '/x?USERTOKEN=[redacted]&code=[redacted]&user%54oken=[redacted]&token[]=[redacted]&refresh_token=[redacted]',
    );
    assert.equal(redactUrl('/x?userToken'), '/x?userToken=[redacted]');
  });

  it('leaves other URLs alone', () => {
    assert.equal(redactUrl('/user/list?pageNum=1&username=code'), '/user/list?pageNum=1&username=code');
    assert.equal(redactUrl('/health'), '/health');
    assert.equal(redactUrl('/x?%zz=1'), '/x?%zz=1');
  });
});

describe('createLogger', () => {
  it('gives Fastify a request serializer that writes no userToken', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = Fastify({ loggerInstance: createLogger({ logLevel: 'info' }, destination) });
    app.get('/account/tokenLogin.do', async () => 'ok');
    await app.inject({ method: 'GET', url: '/account/tokenLogin.do?userToken=secret-jwt-value&defaultLang=en' });
    await app.close();
    const log = lines.join('');
    assert.match(log, /tokenLogin\.do\?userToken=\[redacted\]&defaultLang=en/);
    assert.doesNotMatch(log, /secret-jwt-value/);
  });
});

describe('withLazyChildren', () => {
  /** The logger writing into `lines`, and a count of the pino children made from it. */
  function countingLogger(logLevel: 'info' | 'warn') {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ logLevel }, destination);
    const made = { children: 0 };
    // Inherited by the children pino makes (from `this`), so every level counts.
    const child = logger.child;
    logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
      made.children++;
      return child.apply(this, args);
    } as typeof logger.child;
    return { logger, lines, made };
  }

  it('builds no logger for a request that writes nothing, and one with the request id for a request that does', async () => {
    const { logger, lines, made } = countingLogger('warn');
    const app = Fastify({ loggerInstance: withLazyChildren(logger), genReqId: () => 'req-1' });
    app.get('/quiet', async () => 'ok');
    app.get('/noisy', async (request) => {
      request.log.info('below the level: nothing built');
      request.log.warn({ detail: 1 }, 'written');
      return 'ok';
    });
    await app.ready();
    const before = made.children;
    await app.inject({ method: 'GET', url: '/quiet' });
    assert.equal(made.children, before, 'a quiet request builds no child');
    await app.inject({ method: 'GET', url: '/noisy' });
    assert.ok(made.children > before, 'a request that writes builds its child');
    await app.close();
    const written = lines.filter((line) => line.msg === 'written');
    assert.equal(written.length, 1);
    assert.equal(written[0].reqId, 'req-1');
    assert.equal(lines.filter((line) => line.msg === 'below the level: nothing built').length, 0);
  });

  it('keeps the request serializer that redacts URLs in Fastify’s request lines', async () => {
    const { logger, lines } = countingLogger('info');
    const app = Fastify({ loggerInstance: withLazyChildren(logger) });
    app.get('/account/tokenLogin.do', async () => 'ok');
    await app.inject({ method: 'GET', url: '/account/tokenLogin.do?userToken=secret-jwt-value&defaultLang=en' });
    await app.close();
    const incoming = lines.find((line) => line.msg === 'incoming request') as { req: { url: string } } | undefined;
    assert.equal(incoming?.req.url, '/account/tokenLogin.do?userToken=[redacted]&defaultLang=en');
    assert.ok(!JSON.stringify(lines).includes('secret-jwt-value'));
  });
});
