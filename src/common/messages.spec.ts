import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from './app.exception';
import { message, preferredLanguage, statusOf } from './messages';

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

  it('gives each refusal its HTTP status, with its text in both languages', () => {
    assert.equal(statusOf('error.roleNotFound'), 404);
    assert.equal(statusOf('error.cannotGrant'), 403);
    assert.equal(statusOf('error.loginThrottled'), 429);
    assert.equal(message('error.roleNotFound', 'zh'), '角色不存在');
    assert.equal(message('error.roleNotFound', 'en'), 'No such role.');
    const exception = new AppException('error.deptInUse', { deptId: 3 });
    assert.deepEqual([exception.status, exception.messageKey, exception.data], [409, 'error.deptInUse', { deptId: 3 }]);
  });
});
