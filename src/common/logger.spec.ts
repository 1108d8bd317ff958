import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { createLogger, redactUrl } from './logger';

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
