import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { commonPasswordCount, isCommonPassword } from './common-passwords';

describe('isCommonPassword', () => {
  it('ships a list of at least 3,000 passwords', () => {
    assert.ok(commonPasswordCount() >= 3000, `only ${commonPasswordCount()} entries`);
  });

  it('refuses the best-known common passwords', () => {
    for (const password of ['password', '12345678', 'qwertyuiop', 'iloveyou', 'password1', 'trustno1', 'sunshine']) {
      assert.equal(isCommonPassword(password), true, password);
    }
  });

  it('ignores case', () => {
    assert.equal(isCommonPassword('PASSWORD'), true);
    assert.equal(isCommonPassword('Password'), true);
    assert.equal(isCommonPassword('QwErTyUiOp'), true);
    assert.equal(isCommonPassword('ILoveYou'), true);
  });

  it('accepts a random strong password', () => {
    const strong = `Zq7!${randomBytes(18).toString('base64url')}`;
    assert.equal(isCommonPassword(strong), false);
    assert.equal(isCommonPassword('correct-Horse-battery-staple-93'), false);
  });

  it('does not treat the empty string as a listed password', () => {
    assert.equal(isCommonPassword(''), false);
  });
});
