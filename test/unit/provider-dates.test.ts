import { describe, expect, it } from 'vitest';
import { formatProviderDate, parseProviderDate } from '../../src/protocol/provider-dates.js';

describe('provider dates (Beijing time, UTC+8)', () => {
  it('formats an instant as Beijing wall-clock time', () => {
    expect(formatProviderDate(new Date('2026-11-22T04:00:00Z'))).toBe('2026-11-22 12:00:00');
    expect(formatProviderDate(new Date('2026-12-31T16:30:05.999Z'))).toBe('2027-01-01 00:30:05');
    expect(formatProviderDate(new Date('2028-02-28T16:00:00Z'))).toBe('2028-02-29 00:00:00');
  });

  it('parses Beijing wall-clock time into the instant', () => {
    expect(parseProviderDate('2026-11-22 12:00:00')).toEqual(new Date('2026-11-22T04:00:00Z'));
    expect(parseProviderDate('2027-01-01 07:59:59')).toEqual(new Date('2026-12-31T23:59:59Z'));
  });

  it('round-trips whole seconds', () => {
    for (const iso of ['2026-03-08T10:00:00Z', '2026-11-01T06:00:00Z', '2030-06-30T23:59:59Z']) {
      const date = new Date(iso);
      expect(parseProviderDate(formatProviderDate(date))).toEqual(date);
    }
  });

  it.each([
    '2026-11-22T12:00:00',
    '2026-11-22 12:00',
    '2026-02-30 10:00:00',
    '2026-13-01 10:00:00',
    '2026-11-22 24:00:00',
    ' 2026-11-22 12:00:00',
    '',
  ])('rejects %j', (text) => {
    expect(parseProviderDate(text)).toBeUndefined();
  });

  it('refuses an invalid Date', () => {
    expect(() => formatProviderDate(new Date('nope'))).toThrow(RangeError);
  });
});
