import { describe, expect, it } from 'vitest';
import { plainArray } from '../../../src/webhooks/plain-array.js';

describe('plainArray', () => {
  it('writes uuids, numbers, times and nulls as a Postgres array literal', () => {
    expect(
      plainArray([
        '0193a1b2-0000-7000-8000-000000000001',
        42,
        new Date('2026-12-07T21:44:31.123Z'),
        null,
        undefined,
        'succeeded',
      ]),
    ).toBe(
      '{0193a1b2-0000-7000-8000-000000000001,42,2026-12-07T21:44:31.123Z,NULL,NULL,succeeded}',
    );
    expect(plainArray([])).toBe('{}');
  });
});
