import { describe, expect, it } from 'vitest';
import { bind, control, expectCode, POOL, useTestSimulator } from './helpers.js';

const t = useTestSimulator({ stockPerCity: 6, cities: ['杭州', '北京'], ownedPerCity: 2 });

const buy = (params: Record<string, unknown>) =>
  t.client.request('BuySecretNo', { PoolKey: POOL, ...params });
const remain = async (SpecId: number, City: string, SecretNo?: string) =>
  (
    await t.client.request('QuerySecretNoRemain', {
      SpecId,
      City,
      ...(SecretNo ? { SecretNo } : {}),
    })
  ).SecretRemainDTO as {
    City: string;
    Amount: number;
    RemainDTOList: { remainDTO: { City: string; Amount: number }[] };
  };

describe('stock', () => {
  it('reports what is left per spec, city and prefix, in the SDK shape', async () => {
    // 3 pools x 2 owned spec-2 numbers per city = all 6 of each city.
    expect(await remain(2, '杭州')).toEqual({
      City: '杭州',
      Amount: 0,
      RemainDTOList: {
        remainDTO: [
          { City: '杭州', Amount: 0 },
          { City: '北京', Amount: 0 },
        ],
      },
    });
    expect((await remain(1, '北京')).Amount).toBe(6);
    expect((await remain(1, '北京', '171')).Amount).toBe(3);
    expect((await remain(3, '全国通用')).RemainDTOList.remainDTO).toEqual([
      { City: '全国通用', Amount: 6 },
    ]);
    expect((await remain(1, '深圳')).Amount).toBe(0);
  });

  it('sells by spec, city and prefix until none is left', async () => {
    const bought: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const dto = (await buy({ SpecId: 1, City: '杭州', SecretNo: '170' })).SecretBuyInfoDTO as {
        SecretNo: string;
      };
      expect(dto.SecretNo).toMatch(/^170/);
      bought.push(dto.SecretNo);
    }
    expect(new Set(bought).size).toBe(3);
    await expectCode(buy({ SpecId: 1, City: '杭州', SecretNo: '170' }), 'isv.PHONE_NOT_ENOUGH');
    expect((await remain(1, '杭州')).Amount).toBe(3);
    await expectCode(buy({ SpecId: 2, City: '北京' }), 'isv.PHONE_NOT_ENOUGH');
    await expectCode(buy({ SpecId: 3, City: '杭州' }), 'isv.ILLEGAL_ARGUMENT');
    await expectCode(buy({ SpecId: 4, City: '杭州' }), 'isv.ILLEGAL_ARGUMENT');
    const owned = (await control(t.sim).get(`/numbers?poolKey=${POOL}`)).body as unknown as {
      secretNo: string;
    }[];
    expect(owned.map((n) => n.secretNo)).toEqual(expect.arrayContaining(bought));
  });

  it('releases a number only when no live binding uses it', async () => {
    const { SubsId, SecretNo } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
    });
    await expectCode(
      t.client.request('ReleaseSecretNo', { PoolKey: POOL, SecretNo }),
      'isv.FORBIDDEN_ACTION',
    );
    await t.client.request('UnbindSubscription', { PoolKey: POOL, SubsId, SecretNo });
    await t.client.request('ReleaseSecretNo', { PoolKey: POOL, SecretNo });
    expect((await remain(2, '杭州')).Amount + (await remain(2, '北京')).Amount).toBe(1);
    await expectCode(
      t.client.request('ReleaseSecretNo', { PoolKey: POOL, SecretNo }),
      'isv.NO_NOT_EXIST',
    );
  });
});

describe('QueryCallStatus and number health', () => {
  it('lends the same temporary X while X is abnormal, and none when spare stock is empty', async () => {
    const { SubsId, SecretNo } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
    });
    const status = async () =>
      (await t.client.request('QueryCallStatus', { PoolKey: POOL, SubsId, CallNo: '13800000001' }))
        .SecretCallStatusDTO;

    // All spec-2 numbers are owned: an abnormal X gets no temporary X.
    await control(t.sim).post(`/numbers/${SecretNo}/health`, { status: 'abnormal' });
    expect(await status()).toEqual({ Status: 3, CalledNo: null });

    // Releasing an unused number of the pool makes spare stock.
    const spareX = (
      (await control(t.sim).get(`/numbers?poolKey=${POOL}`)).body as unknown as {
        secretNo: string;
        liveBindings: number;
      }[]
    ).find((n) => n.liveBindings === 0)?.secretNo;
    await t.client.request('ReleaseSecretNo', { PoolKey: POOL, SecretNo: spareX });
    expect(await status()).toEqual({ Status: 2, CalledNo: spareX });
    expect(await status()).toEqual({ Status: 2, CalledNo: spareX });
    // Lent out, it is not for sale.
    expect((await remain(2, '杭州')).Amount + (await remain(2, '北京')).Amount).toBe(0);

    await control(t.sim).post(`/numbers/${SecretNo}/health`, { status: 'normal' });
    expect(await status()).toEqual({ Status: 1, CalledNo: SecretNo });
    expect((await remain(2, '杭州')).Amount + (await remain(2, '北京')).Amount).toBe(1);
  });

  it('can be refused for the account, as a private action', async () => {
    const { SubsId } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
    });
    await control(t.sim).post('/private-actions', { queryCallStatus: 'refused' });
    await expectCode(
      t.client.request('QueryCallStatus', { PoolKey: POOL, SubsId }),
      'isp.RAM_PERMISSION_DENY',
    );
    await control(t.sim).post('/private-actions', { queryCallStatus: 'allowed' });
    await expect(
      t.client.request('QueryCallStatus', { PoolKey: POOL, SubsId }),
    ).resolves.toMatchObject({ Code: 'OK' });
  });

  it('does not pick an abnormal X for new bindings', async () => {
    const owned = (await control(t.sim).get(`/numbers?poolKey=${POOL}`)).body as unknown as {
      secretNo: string;
    }[];
    for (const n of owned.slice(1)) {
      await control(t.sim).post(`/numbers/${n.secretNo}/health`, { status: 'abnormal' });
    }
    for (let i = 0; i < 3; i += 1) {
      const { SecretNo } = await bind(t.client, t.sim, {
        PhoneNoA: `1380000000${i}`,
        PhoneNoB: `1390000000${i}`,
      });
      expect(SecretNo).toBe(owned[0]?.secretNo);
    }
  });
});
