import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { CreateBindingDto, MAX_TTL_SECONDS } from '../../src/bindings/dto/create-binding.dto.js';
import { acceptSimpleBindBody } from '../../src/bindings/dto/create-binding.fast-path.js';
import { createValidationPipe } from '../../src/common/validation/validation-pipe.js';

const slow = createValidationPipe();
const fast = createValidationPipe(new Map([[CreateBindingDto, acceptSimpleBindBody]]));
const BODY = { type: 'body', metatype: CreateBindingDto } as const;

/** What a pipe makes of a body: the DTO, or the 400's body. */
async function outcome(pipe: ReturnType<typeof createValidationPipe>, body: unknown) {
  try {
    const dto = (await pipe.transform(structuredClone(body), BODY)) as object;
    return { dto, proto: Object.getPrototypeOf(dto) as unknown, keys: Object.keys(dto) };
  } catch (error) {
    return { error: (error as { getResponse(): unknown }).getResponse() };
  }
}

const BASE = { outId: 'trip-1', phoneA: '13800000001', phoneB: '02161234567' };

describe("POST /v1/bindings' body, checked by hand first", () => {
  it('accepts the simple bodies exactly as the pipe does, the same DTO', async () => {
    const accepted = [
      { ...BASE, ttlSeconds: 3600 },
      { ...BASE, ttlSeconds: 1 },
      { ...BASE, ttlSeconds: MAX_TTL_SECONDS },
      { ...BASE, expiresAt: '2026-11-30T20:00:00.5+08:00' },
      { ...BASE, ttlSeconds: 60, city: '杭州', cityStrict: true, record: false },
      { ...BASE, ttlSeconds: 60, poolKey: 'FC_1-x', phoneX: '13010000000' },
      { ttlSeconds: 60, phoneB: '13900000001', outId: 'a.b:c-d_e', phoneA: '13800000001' },
      { ...BASE, city: 'x'.repeat(32) },
    ];
    for (const body of accepted) {
      expect(acceptSimpleBindBody(structuredClone(body)), JSON.stringify(body)).toBeInstanceOf(
        CreateBindingDto,
      );
      const [a, b] = [await outcome(fast, body), await outcome(slow, body)];
      expect(a).toEqual(b);
      expect(a.proto).toBe(CreateBindingDto.prototype);
      expect(a.keys).toEqual(b.keys);
    }
  });

  it('leaves every other body to the pipe, whose answer is unchanged', async () => {
    const others: unknown[] = [
      undefined,
      null,
      [],
      'text',
      42,
      {},
      { ...BASE, ttlSeconds: 0 },
      { ...BASE, ttlSeconds: MAX_TTL_SECONDS + 1 },
      { ...BASE, ttlSeconds: 1.5 },
      { ...BASE, ttlSeconds: '60' },
      { ...BASE, ttlSeconds: null },
      { ...BASE, city: null },
      { ...BASE, city: '' },
      { ...BASE, city: 'x'.repeat(33) },
      { ...BASE, city: '😀'.repeat(20) },
      { ...BASE, cityStrict: 'true' },
      { ...BASE, record: 1 },
      { ...BASE, poolKey: 'a b' },
      { ...BASE, phoneX: '1234' },
      { ...BASE, phoneX: 13010000000 },
      { ...BASE, expiresAt: '2026-11-30 20:00:00Z' },
      { ...BASE, outId: '' },
      { ...BASE, outId: 'x'.repeat(65) },
      { ...BASE, phoneA: '12345' },
      { ...BASE, phoneA: 13800000001 },
      { outId: 'trip-1', phoneA: '13800000001' },
      { ...BASE, extra: 1 },
      { ...BASE, outOrderId: 'ORD-1', ttlSeconds: 60 },
      { ...BASE, callRestrict: 'CONTROL_AX_DISABLE', ttlSeconds: 60 },
      JSON.parse('{"outId":"t","phoneA":"13800000001","phoneB":"13900000001","__proto__":{}}'),
      Object.assign(Object.create({ inherited: 1 }) as object, BASE),
    ];
    for (const body of others) {
      expect(acceptSimpleBindBody(body), JSON.stringify(body)).toBeUndefined();
      expect(await outcome(fast, body)).toEqual(await outcome(slow, body));
    }
  });
});
