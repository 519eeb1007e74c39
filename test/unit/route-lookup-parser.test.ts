import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { parseRouteLookup } from '../../src/routing/dto/route-lookup.parser.js';

const ID = '0b8f2a2e-5d7c-4b8e-9f0a-1c2d3e4f5a6b';
const CALLER = '13800000001';

/** The 400 body's named fields, or the parsed lookup. */
function parse(body: unknown) {
  try {
    return parseRouteLookup(body, 'FCDEFAULT');
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const response = (error as BadRequestException).getResponse() as {
      code: string;
      fields: Array<{ field: string; problems: string[] }>;
    };
    expect(response.code).toBe('VALIDATION_FAILED');
    return response.fields;
  }
}

describe('the routing lookup body', () => {
  it('names the binding by id, or by order in the default or the named pool', () => {
    expect(parse({ bindingId: ID, callerNo: CALLER })).toEqual({
      ref: { bindingId: ID },
      callerNo: CALLER,
    });
    expect(parse({ outId: 'trip-1', callerNo: '02161234567' })).toEqual({
      ref: { poolKey: 'FCDEFAULT', outId: 'trip-1' },
      callerNo: '02161234567',
    });
    expect(parse({ outId: 'trip-1', poolKey: 'FC2', callerNo: CALLER, bindingId: null })).toEqual({
      ref: { poolKey: 'FC2', outId: 'trip-1' },
      callerNo: CALLER,
    });
  });

  it('checks two-field bodies (the usual lookup) by the same rules', () => {
    expect(parse({ bindingId: 'nope', callerNo: CALLER })).toEqual([
      { field: 'bindingId', problems: ['bindingId must be a UUID'] },
    ]);
    expect(parse({ bindingId: ID, callerNo: '123' })).toMatchObject([{ field: 'callerNo' }]);
    expect(parse({ bindingId: ID, extra: CALLER })).toHaveLength(2);
    // Only own fields count: an inherited bindingId is no bindingId.
    const inherited = Object.assign(Object.create({ bindingId: ID }) as object, {
      callerNo: CALLER,
      outId: 'trip-1',
    });
    expect(parse(inherited)).toEqual({
      ref: { poolKey: 'FCDEFAULT', outId: 'trip-1' },
      callerNo: CALLER,
    });
  });

  it('names every bad or unknown field at once', () => {
    expect(parse({ bindingId: 'nope', callerNo: 12, extra: 1 })).toEqual([
      { field: 'extra', problems: ['property extra should not exist'] },
      { field: 'bindingId', problems: ['bindingId must be a UUID'] },
      {
        field: 'callerNo',
        problems: [
          'callerNo must be a mainland mobile (11 digits) or a fixed line with area code, digits only',
        ],
      },
    ]);
    expect(parse({ outId: 'has space', poolKey: 'a/b', callerNo: CALLER })).toEqual([
      { field: 'outId', problems: ['outId must be 1-64 characters of A-Z a-z 0-9 _ . : -'] },
      { field: 'poolKey', problems: ['poolKey must be 1-64 characters of A-Z a-z 0-9 _ -'] },
    ]);
    for (const body of [undefined, null, 'text', [], {}]) {
      expect(parse(body)).toMatchObject([{ field: 'callerNo' }]);
    }
  });

  it('wants exactly one of bindingId and outId, and poolKey only with outId', () => {
    expect(parse({ bindingId: ID, outId: 'o', callerNo: CALLER })).toEqual([
      { field: 'bindingId', problems: ['give either bindingId or outId, not both'] },
    ]);
    expect(parse({ callerNo: CALLER })).toEqual([
      { field: 'outId', problems: ['bindingId or outId is required'] },
    ]);
    expect(parse({ bindingId: ID, poolKey: 'FC2', callerNo: CALLER })).toEqual([
      { field: 'poolKey', problems: ['only with outId'] },
    ]);
  });
});
