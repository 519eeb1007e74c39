import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseApiDate } from '../../src/common/validation/api-date.js';

describe('parseApiDate: the API accepts RFC 3339 only, range-checked', () => {
  it.each([
    ['2026-11-30T12:00:00Z', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T20:00:00+08:00', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T06:30:00-05:30', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T12:00:00.5Z', '2026-11-30T12:00:00.500Z'],
    ['2026-11-30T12:00:00.123456789Z', '2026-11-30T12:00:00.123Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['2026-12-31T23:59:59-23:59', '2027-01-01T23:58:59.000Z'],
  ])('%s → %s', (input, iso) => {
    expect(parseApiDate(input)?.toISOString()).toBe(iso);
  });

  it.each([
    '2026-W48-1T12:00:00Z',
    '2026-334T12:00:00Z',
    '20261130T120000Z',
    '2026-11-30T12Z',
    '2026-11-30T12:00Z',
    '2026-11-30T12:00:00+08',
    '2026-11-30T12:00:00+0800',
    '2026-11-30T12:00:00,5Z',
    '2026-11-30 12:00:00Z',
    '2026-11-30t12:00:00Z',
    '2026-11-30T12:00:00z',
    '2026-11-30T12:00:00',
    '2026-11-30',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-30T24:00:00Z',
    '2026-11-30T12:60:00Z',
    '2026-11-30T12:00:60Z',
    '2026-11-30T12:00:00+24:00',
    '2026-11-30T12:00:00+08:60',
    '2026-11-30T12:00:00.Z',
    '2026-11-30T12:00:00.1234567890Z',
    '1969-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    ' 2026-11-30T12:00:00Z',
    '2026-11-30T12:00:00Z\n',
    '２０２６-11-30T12:00:00Z',
    '',
  ])('refuses %j', (input) => {
    expect(parseApiDate(input)).toBeNull();
  });

  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 0, 1764504000000, new Date(), {}, []])
      expect(parseApiDate(v)).toBeNull();
  });

  it('round-trips every instant of its range written with any offset (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1971-01-01T00:00:00Z'),
          max: new Date('9998-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
          const abs = Math.abs(offset);
          const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseApiDate(`${local}${zone}`)?.getTime()).toBe(date.getTime());
        },
      ),
    );
  });

  it('returns a valid instant or null for any string, never throws (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const d = parseApiDate(s);
        expect(d === null || !Number.isNaN(d.getTime())).toBe(true);
      }),
    );
  });
});
