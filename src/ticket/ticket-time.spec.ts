import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTicketDate, parseTicketTime } from './ticket-time';

describe('ticket times', () => {
  it('reads a date as the start of that day, or for an end its last millisecond, in the server’s time zone', () => {
    assert.equal(parseTicketTime('2020-10-22', 'start')?.getTime(), new Date(2020, 9, 22, 0, 0, 0, 0).getTime());
    assert.equal(parseTicketTime('2020-11-22', 'end')?.getTime(), new Date(2020, 10, 22, 23, 59, 59, 999).getTime());
    assert.equal(formatTicketDate(parseTicketTime('2020-11-22', 'end')!), '2020-11-22', 'shown as the day it was given');
    assert.equal(parseTicketTime('2024-02-29', 'start')?.getDate(), 29);
    assert.equal(parseTicketTime('2000-01-01T00:00:00Z', 'start')?.toISOString(), '2000-01-01T00:00:00.000Z');
    assert.equal(parseTicketTime('9998-12-31T23:59:59.999Z', 'end')?.toISOString(), '9998-12-31T23:59:59.999Z');
  });

  it('reads the project’s local time format and ISO 8601 with a zone', () => {
    assert.equal(parseTicketTime('2030-01-02 03:04:05', 'end')?.getTime(), new Date(2030, 0, 2, 3, 4, 5).getTime());
    assert.equal(parseTicketTime('2030-01-02T03:04:05Z', 'end')?.toISOString(), '2030-01-02T03:04:05.000Z');
    assert.equal(parseTicketTime('2030-01-02T03:04:05.25+08:00', 'end')?.toISOString(), '2030-01-01T19:04:05.250Z');
    assert.equal(parseTicketTime('2030-01-02T03:04-01:30', 'start')?.toISOString(), '2030-01-02T04:34:00.000Z');
  });

  it('refuses anything else', () => {
    for (const text of [
      '2023-02-29',
      '2030-02-30',
      '2030-13-01',
      '2030-00-10',
      '1999-12-31',
      '2000-01-01T00:00:00+08:00',
      '9999-06-01',
      '9998-12-31T23:00:00-14:00',
      '2030-1-2',
      '2030-01-02T03:04:05',
      '2030-01-02 24:00:00',
      '2030-01-02T03:60Z',
      '20300102',
      'tomorrow',
      ' 2030-01-02',
      '',
    ]) {
      assert.equal(parseTicketTime(text, 'start'), undefined, text);
    }
  });
});
