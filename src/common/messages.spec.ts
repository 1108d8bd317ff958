import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { message, preferredLanguage } from './messages';

describe('preferredLanguage', () => {
  it('defaults to Chinese, the documents language', () => {
    assert.equal(preferredLanguage(undefined), 'zh');
    assert.equal(preferredLanguage(''), 'zh');
    assert.equal(preferredLanguage('fr-FR'), 'zh');
  });

  it('follows the quality values of Accept-Language', () => {
    assert.equal(preferredLanguage('en-US'), 'en');
    assert.equal(preferredLanguage('zh-CN,zh;q=0.9,en;q=0.8'), 'zh');
    assert.equal(preferredLanguage('zh;q=0.5,en;q=0.9'), 'en');
    assert.equal(preferredLanguage('fr,en;q=0.3'), 'en');
    assert.equal(preferredLanguage('en;q=abc,zh;q=0.1'), 'zh');
  });

  it('gives the catalog text in the chosen language', () => {
    assert.equal(message('login.success', 'zh'), '登录成功');
    assert.equal(message('login.success', 'en'), 'Login successful.');
    assert.equal(message('error.invalidToken', 'zh'), 'Invalid access token.');
  });
});
