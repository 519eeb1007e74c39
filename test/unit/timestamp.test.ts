import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/protocol/signature.js';
import { parseTimestamp } from '../../src/protocol/timestamp.js';

describe('parseTimestamp (the signing Timestamp)', () => {
  it('reads what formatTimestamp writes, as UTC', () => {
    const at = new Date('2026-11-22T07:08:09.000Z');
    expect(parseTimestamp(formatTimestamp(at))?.toISOString()).toBe(at.toISOString());
    expect(parseTimestamp('2028-02-29T23:59:59Z')?.toISOString()).toBe('2028-02-29T23:59:59.000Z');
  });

  it.each([
    '2026-02-30T10:00:00Z', // a day that does not exist
    '2027-02-29T10:00:00Z', // not a leap year
    '2026-13-01T10:00:00Z',
    '2026-11-22T24:00:00Z',
    '2026-11-22T10:60:00Z',
    '2026-11-22 10:00:00', // the provider's date format, not a Timestamp
    '2026-11-22T10:00:00+08:00',
    '2026-11-22T10:00:00.000Z',
    '',
  ])('refuses %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});
