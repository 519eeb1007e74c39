import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPhone, maskPhonesInText } from '../../src/common/privacy/mask-phone.js';
import { maskDeep, maskUrl } from '../../src/logging/mask-log.js';

describe('maskPhone', () => {
  it.each([
    ['13812345678', '138****5678'],
    ['057188886666', '057****6666'],
    ['95013123', '95****23'],
    ['123', '***'],
    ['', ''],
    [undefined, ''],
  ])('%s → %s', (input, masked) => {
    expect(maskPhone(input)).toBe(masked);
  });

  it('masks phone numbers in text, separators included', () => {
    expect(maskPhonesInText('A=13812345678, B=13987654321, id 42')).toBe(
      'A=138****5678, B=139****4321, id 42',
    );
    for (const shown of [
      '137-4452-0004',
      '137 4452 0004',
      '137+4452+0004',
      '137.4452.0004',
      '137%204452%200004',
      '+86 137 4452 0004',
      '+8613744520004',
      '%2B8613744520004',
      '008613744520004',
      '86-13744520004',
    ])
      expect(maskPhonesInText(`phone=${shown}&x=1`), shown).toBe('phone=137****0004&x=1');
    for (const fixed of [
      '057188889999',
      '0571-88889999',
      '0571-8888-9999',
      '010 8888 9999',
      '(0571)88889999',
    ])
      expect(maskPhonesInText(`tel ${fixed}.`), fixed).not.toMatch(/8888.?9999/);
    expect(maskPhonesInText('+86 571 8888 9999')).not.toContain('8888 9999');
  });

  it('masks numbers with the fewest digits a number has (10: a fixed line) in text with no other digit', () => {
    // The quick test for "might hold a number" counts digits: a number of exactly that many,
    // alone in its text, must still be masked.
    for (const fixed of ['010-8888999', '010 888 9999', '(010)8888999', '0108888999'])
      expect(maskPhonesInText(`tel ${fixed}.`), fixed).toBe('tel 01****99.');
    expect(maskDeep({ msg: 'call 010-8888999 now' })).toEqual({ msg: 'call 01****99 now' });
    expect(maskDeep('010-8888999')).toBe('01****99');
  });

  it('masks a number beside a UUID, and keeps the UUID', () => {
    const id = '0b7c1a35-1374-4520-8004-057188889999';
    expect(maskPhonesInText(`${id} 13812345678`)).toBe(`${id} 138****5678`);
    expect(maskPhonesInText(id)).toBe(id);
  });

  it('leaves ids, keys, counts and times alone', () => {
    for (const text of [
      'req 0b7c1a35-1374-4520-8004-057188889999',
      'req 06f41374-4520-4004-a137-445200040571',
      'pool FC100000000000001',
      'pool 100000000000001',
      'took 12345678 ms',
      'at 1764504000000',
      '2026-11-30T12:00:00.000Z',
      'sha 3a7bd3e2360a3d29eea436fcfb7e44c735d117c4',
      'axb_testall0_tttttttttttttestall0kkkkkkkkkkkk',
    ])
      expect(maskPhonesInText(text), text).toBe(text);
  });

  it('never alters a UUID (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.constantFrom('', ' ', '[', 'reqId=', '"'), (id, before) => {
        expect(maskPhonesInText(`${before}${id}`)).toBe(`${before}${id}`);
      }),
    );
  });

  it('masks every mainland mobile wherever it stands (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^1[3-9]\d{9}$/),
        // Glued to letters or digits it is part of a longer token (an id, a key): left alone.
        fc.constantFrom(' ', '=', ':', '"', '(', '/', '-'),
        fc.constantFrom(' ', '&', ',', '"', ')', '.', '\n'),
        (n, before, after) => {
          expect(maskPhonesInText(`x${before}${n}${after}y`)).not.toContain(n);
        },
      ),
    );
  });
});

describe('maskDeep and maskUrl (the log step)', () => {
  it('masks phone fields whatever their shape, and URL query values after decoding', () => {
    expect(maskDeep({ phoneA: 13812345678, callerNo: '138-1234-5678', peer_no: '5678' })).toEqual({
      phoneA: '138****5678',
      callerNo: '138****5678',
      peer_no: '****',
    });
    expect(maskUrl('/v1/bindings?phone=137+4452+0004&outId=a%20b')).toBe(
      '/v1/bindings?phone=137****0004&outId=a%20b',
    );
    expect(maskUrl('/v1/bindings?outId=137%2D4452%2D0004')).toBe('/v1/bindings?outId=137****0004');
    expect(maskDeep({ msg: 'x', nested: { url: '/a?q=13744520004' } })).toEqual({
      msg: 'x',
      nested: { url: '/a?q=137****0004' },
    });
  });

  it('judges a field by its name however many names it has seen', () => {
    // Names are judged once and remembered, up to a bound: past it, still judged every time.
    for (let i = 0; i < 10_100; i += 1) maskDeep({ [`field${i}`]: i });
    expect(maskDeep({ phoneA: 13812345678, callerNo: '138-1234-5678', peer_no: '5678' })).toEqual({
      phoneA: '138****5678',
      callerNo: '138****5678',
      peer_no: '****',
    });
    expect(maskDeep({ newPhoneField: '13812345678', someApiKey: 'k', secret: '' })).toEqual({
      newPhoneField: '138****5678',
      someApiKey: '[REDACTED]',
      secret: '',
    });
    expect(maskDeep({ secret: 'k' })).toEqual({ secret: '[REDACTED]' });
  });

  it('is idempotent', () => {
    const once = maskDeep({ phoneB: '13900001111', msg: 'call 13900001111' });
    expect(maskDeep(once)).toEqual(once);
  });
});
