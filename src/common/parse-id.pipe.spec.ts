import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from './app.exception';
import { idFromText, ParseIdPipe } from './parse-id.pipe';

describe('ParseIdPipe', () => {
  const pipe = new ParseIdPipe();

  it('reads canonical decimal ids in range', () => {
    assert.equal(pipe.transform('1'), 1);
    assert.equal(pipe.transform('2147483647'), 2_147_483_647);
  });

  it('refuses every other spelling, and numbers it did not read itself, with 400', () => {
    for (const value of ['0x1', '1e0', ' 1', '1 ', '+1', '1.0', '0b1', '0o1', '01', '0', '-1', '', '2147483648', '99999999999', '１', 1, undefined]) {
      assert.throws(
        () => pipe.transform(value),
        (error: unknown) => error instanceof AppException && error.status === 400 && error.messageKey === 'error.invalidId',
        String(value),
      );
    }
  });

  it('gives undefined for text that is not an id', () => {
    assert.equal(idFromText('7'), 7);
    assert.equal(idFromText('0x7'), undefined);
  });
});
