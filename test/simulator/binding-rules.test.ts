import { describe, expect, it } from 'vitest';
import {
  bind,
  expectCode,
  expiresIn,
  HOUR,
  OTHER_POOL,
  POOL,
  simulatorNumbers,
  useTestSimulator,
  STRICT_POOL,
} from './helpers.js';

const t = useTestSimulator();

const numbersOf = (poolKey: string) => simulatorNumbers(t.sim, poolKey);
async function cityOf(secretNo: string): Promise<string | undefined> {
  const all = await simulatorNumbers(t.sim);
  return all.find((n) => n.secretNo === secretNo)?.city;
}

describe('BindAxb validation', () => {
  it('wants Expiration more than a minute ahead of the simulated clock', async () => {
    const pair = { PhoneNoA: '13800000001', PhoneNoB: '13800000002' };
    await expectCode(
      bind(t.client, t.sim, { ...pair, Expiration: await expiresIn(t.sim, 60_000) }),
      'isv.EXPIRE_DATE_ILLEGAL',
    );
    await expectCode(
      bind(t.client, t.sim, { ...pair, Expiration: '2030/01/01 00:00' }),
      'isv.EXPIRE_DATE_ILLEGAL',
    );
    await expect(
      bind(t.client, t.sim, { ...pair, Expiration: await expiresIn(t.sim, 120_000) }),
    ).resolves.toBeDefined();
  });

  it('accepts mobiles and fixed lines with area code, nothing else', async () => {
    const valid = ['13800000003', '02112345678', '057187654321', '0101234567'];
    for (const [i, phone] of valid.entries()) {
      await expect(
        bind(t.client, t.sim, { PhoneNoA: phone, PhoneNoB: `1390000000${i}` }),
      ).resolves.toBeDefined();
    }
    const invalid = ['1380000000', '23800000000', '021-12345678', '+8613800000000', '00112345678'];
    for (const phone of invalid) {
      await expectCode(
        bind(t.client, t.sim, { PhoneNoA: '13800000009', PhoneNoB: phone }),
        'isv.MOBILE_NUMBER_ILLEGAL',
      );
    }
  });

  it('needs a pool of the account, and a PhoneNoX of that pool', async () => {
    await expectCode(
      bind(t.client, t.sim, { PoolKey: 'FC999', PhoneNoA: '13800000001', PhoneNoB: '13800000002' }),
      'isv.PARTNER_NOT_EXIST',
    );
    const [foreign] = await numbersOf(OTHER_POOL);
    await expectCode(
      bind(t.client, t.sim, {
        PhoneNoA: '13800000001',
        PhoneNoB: '13800000002',
        PhoneNoX: foreign?.secretNo,
      }),
      'isv.NO_NOT_EXIST',
    );
  });
});

describe('X sharing rules', () => {
  it('refuses a second live binding sharing A or sharing B on one X', async () => {
    const [x] = await numbersOf(POOL);
    const PhoneNoX = x?.secretNo;
    await bind(t.client, t.sim, { PhoneNoA: '13800000001', PhoneNoB: '13800000002', PhoneNoX });
    await expectCode(
      bind(t.client, t.sim, { PhoneNoA: '13800000001', PhoneNoB: '13800000003', PhoneNoX }),
      'isv.BIND_CONFLICT',
    );
    await expectCode(
      bind(t.client, t.sim, { PhoneNoA: '13800000004', PhoneNoB: '13800000002', PhoneNoX }),
      'isv.BIND_CONFLICT',
    );
    // Swapped roles are not "sharing A" nor "sharing B".
    await expect(
      bind(t.client, t.sim, { PhoneNoA: '13800000002', PhoneNoB: '13800000001', PhoneNoX }),
    ).resolves.toBeDefined();
  });

  it('without PhoneNoX picks another X instead of conflicting', async () => {
    const first = await bind(t.client, t.sim, { PhoneNoA: '13800000001', PhoneNoB: '13800000002' });
    const second = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000003',
    });
    expect(second.SecretNo).not.toBe(first.SecretNo);
  });

  it('serves at most 200 live pairs per X', async () => {
    const [x] = await numbersOf(POOL);
    const PhoneNoX = x?.secretNo;
    const Expiration = await expiresIn(t.sim, HOUR);
    for (let i = 0; i < 200; i += 1) {
      await t.client.request('BindAxb', {
        PoolKey: POOL,
        PhoneNoA: `135${String(i).padStart(8, '0')}`,
        PhoneNoB: `136${String(i).padStart(8, '0')}`,
        PhoneNoX,
        Expiration,
      });
    }
    await expectCode(
      bind(t.client, t.sim, { PhoneNoA: '13700000000', PhoneNoB: '13700000001', PhoneNoX }),
      'isv.BIND_CONFLICT',
    );
  });

  it('answers NO_AVAILABLE_NUMBER when no X of the pool fits', async () => {
    const count = (await numbersOf(POOL)).length;
    for (let i = 0; i < count; i += 1) {
      await bind(t.client, t.sim, {
        PhoneNoA: '13800000001',
        PhoneNoB: `139${String(i).padStart(8, '0')}`,
      });
    }
    await expectCode(
      bind(t.client, t.sim, { PhoneNoA: '13800000001', PhoneNoB: '13700000000' }),
      'isv.NO_AVAILABLE_NUMBER',
    );
  });
});

describe('ExpectCity', () => {
  it('prefers the expected city', async () => {
    for (let i = 0; i < 5; i += 1) {
      const bound = await bind(t.client, t.sim, {
        PhoneNoA: `1380000000${i}`,
        PhoneNoB: '13900000000',
        ExpectCity: '北京',
      });
      // Each pair shares B, so each needs another X: all five 北京 numbers get used.
      expect(await cityOf(bound.SecretNo)).toBe('北京');
    }
  });

  it('falls back to another city unless the pool is strict', async () => {
    const fallback = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
      ExpectCity: '深圳',
    });
    expect(await cityOf(fallback.SecretNo)).toBeDefined();
    await expectCode(
      bind(t.client, t.sim, {
        PoolKey: STRICT_POOL,
        PhoneNoA: '13800000001',
        PhoneNoB: '13800000002',
        ExpectCity: '深圳',
      }),
      'isv.NO_AVAILABLE_NUMBER',
    );
    const strictHere = await bind(t.client, t.sim, {
      PoolKey: STRICT_POOL,
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
      ExpectCity: '上海',
    });
    expect(await cityOf(strictHere.SecretNo)).toBe('上海');
  });

  it('in strict mode refuses once the city is exhausted; otherwise spills over', async () => {
    for (const poolKey of [STRICT_POOL, POOL]) {
      for (let i = 0; i < 5; i += 1) {
        await bind(t.client, t.sim, {
          PoolKey: poolKey,
          PhoneNoA: `1380000000${i}`,
          PhoneNoB: '13900000000',
          ExpectCity: '广州',
        });
      }
    }
    const sixth = { PhoneNoA: '13800000009', PhoneNoB: '13900000000', ExpectCity: '广州' };
    await expectCode(
      bind(t.client, t.sim, { ...sixth, PoolKey: STRICT_POOL }),
      'isv.NO_AVAILABLE_NUMBER',
    );
    const spilled = await bind(t.client, t.sim, sixth);
    expect(await cityOf(spilled.SecretNo)).not.toBe('广州');
  });
});
