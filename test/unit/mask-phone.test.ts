import { describe, expect, it } from 'vitest';
import { maskPhone, maskPhonesInText } from '../../src/common/privacy/mask-phone.js';

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

  it('masks every long digit run in text', () => {
    expect(maskPhonesInText('A=13812345678, B=13987654321, id 42')).toBe(
      'A=138****5678, B=139****4321, id 42',
    );
  });
});
