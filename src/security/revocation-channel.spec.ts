import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRevocationMessage } from './revocation-channel';

describe('parseRevocationMessage', () => {
  it('reads what the channel publishes', () => {
    const text = JSON.stringify([
      { kind: 'session', subject: '6f1c7b7e-0d4e-4a4e-9b8e-2f8d1f0c9a11', revokedAt: 1_790_000_000_000 },
      { kind: 'user', subject: '42', revokedAt: 1_790_000_000_500 },
    ]);
    assert.deepEqual(parseRevocationMessage(text), [
      { kind: 'session', subject: '6f1c7b7e-0d4e-4a4e-9b8e-2f8d1f0c9a11', revokedAt: 1_790_000_000_000 },
      { kind: 'user', subject: '42', revokedAt: 1_790_000_000_500 },
    ]);
  });

  it('reads the expiry of an entry, which older instances leave out', () => {
    const text = JSON.stringify([
      { kind: 'session', subject: 's-1', revokedAt: 1_790_000_000_000, expiresAt: 1_792_592_060_000 },
      { kind: 'user', subject: '42', revokedAt: 1_790_000_000_500 },
    ]);
    assert.deepEqual(parseRevocationMessage(text), [
      { kind: 'session', subject: 's-1', revokedAt: 1_790_000_000_000, expiresAt: 1_792_592_060_000 },
      { kind: 'user', subject: '42', revokedAt: 1_790_000_000_500 },
    ]);
  });

  it('refuses anything else as a whole', () => {
    const entry = { kind: 'user', subject: '42', revokedAt: 1 };
    for (const text of [
      'not json',
      '{}',
      '[]',
      'null',
      JSON.stringify([entry, { ...entry, kind: 'everyone' }]),
      JSON.stringify([{ ...entry, subject: 42 }]),
      JSON.stringify([{ ...entry, subject: '' }]),
      JSON.stringify([{ ...entry, subject: 'x'.repeat(65) }]),
      JSON.stringify([{ ...entry, revokedAt: '1' }]),
      JSON.stringify([{ ...entry, revokedAt: -5 }]),
      JSON.stringify([null]),
      JSON.stringify([{ ...entry, expiresAt: '2' }]),
      JSON.stringify([{ ...entry, expiresAt: 0 }]),
      JSON.stringify(Array.from({ length: 1001 }, () => entry)),
    ]) {
      assert.equal(parseRevocationMessage(text), undefined, text.slice(0, 60));
    }
  });
});
