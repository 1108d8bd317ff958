import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from '../common/app.exception';
import { assertCanChangeRoles, assertCanGrant } from './grants';

const caller: ReadonlySet<string> = new Set(['role', 'userMan']);
const role = (...codes: string[]) => ({ permissions: codes.map((code) => ({ code })) });

function refusal(work: () => void): AppException {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof AppException);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('grant rules', () => {
  it('grants only held scopes and names the missing ones, once each, sorted', () => {
    assertCanGrant(caller, ['role', 'userMan', 'role']);
    const error = refusal(() => assertCanGrant(caller, ['kickout', 'audit', 'kickout', 'role']));
    assert.equal(error.status, 403);
    assert.equal(error.messageKey, 'error.cannotGrant');
    assert.deepEqual(error.data, { scopes: ['audit', 'kickout'] });
  });

  it('changes a role only when the caller holds every scope of every role involved', () => {
    assertCanChangeRoles(caller, role('role'), role(), role('userMan', 'role'));
    const error = refusal(() => assertCanChangeRoles(caller, role('role'), role('keyMan', 'userMan')));
    assert.equal(error.status, 403);
    assert.equal(error.messageKey, 'error.cannotChangeRole');
    assert.deepEqual(error.data, { scopes: ['keyMan'] });
  });
});
