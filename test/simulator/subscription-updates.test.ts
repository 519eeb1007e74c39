import { describe, expect, it } from 'vitest';
import {
  bind,
  control,
  expectCode,
  expiresIn,
  HOUR,
  POOL,
  simulatorNumbers,
  useTestSimulator,
} from './helpers.js';

const t = useTestSimulator();

const numbersOf = (poolKey: string) => simulatorNumbers(t.sim, poolKey);

describe('expiry and updates', () => {
  it('expires on the simulated clock: detail Status 0, call status 4, updates forbidden', async () => {
    const { SubsId, SecretNo } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
      Expiration: await expiresIn(t.sim, 2 * HOUR),
    });
    await control(t.sim).post('/clock/advance', { ms: 2 * HOUR + 1000 });
    const detail = await t.client.request('QuerySubscriptionDetail', {
      PoolKey: POOL,
      SubsId,
      PhoneNoX: SecretNo,
    });
    expect(detail.SecretBindDetailDTO).toMatchObject({ Status: 0 });
    const status = await t.client.request('QueryCallStatus', { PoolKey: POOL, SubsId });
    expect(status.SecretCallStatusDTO).toEqual({ Status: 4, CalledNo: null });
    await expectCode(
      t.client.request('UpdateSubscription', {
        PoolKey: POOL,
        SubsId,
        PhoneNoX: SecretNo,
        OperateType: 'updateExpire',
        Expiration: await expiresIn(t.sim, HOUR),
      }),
      'isv.FORBIDDEN_ACTION',
    );
    // The pair is free again on that X, and the expired binding can still be unbound.
    await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
      PhoneNoX: SecretNo,
    });
    await t.client.request('UnbindSubscription', { PoolKey: POOL, SubsId, SecretNo });
  });

  it('clock/set moves the clock to an absolute instant', async () => {
    const { body } = await control(t.sim).post('/clock/set', { now: '2030-01-01 08:00:00' });
    // The simulated clock keeps running from the instant it was set, so allow for the round trip.
    const drift =
      Date.parse((body as unknown as { now: string }).now) - Date.parse('2030-01-01T00:00:00.000Z');
    expect(drift).toBeGreaterThanOrEqual(0);
    expect(drift).toBeLessThan(5_000);
    expect((body as unknown as { providerTime: string }).providerTime).toMatch(
      /^2030-01-01 08:00:0\d$/,
    );
    await expectCode(
      bind(t.client, t.sim, {
        PhoneNoA: '13800000001',
        PhoneNoB: '13800000002',
        Expiration: '2029-12-31 23:00:00',
      }),
      'isv.EXPIRE_DATE_ILLEGAL',
    );
  });

  it('updates A, B and expiry with the same conflict rules', async () => {
    const [x] = await numbersOf(POOL);
    const PhoneNoX = x?.secretNo ?? '';
    await bind(t.client, t.sim, { PhoneNoA: '13800000001', PhoneNoB: '13800000002', PhoneNoX });
    const { SubsId } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000003',
      PhoneNoB: '13800000004',
      PhoneNoX,
    });
    const update = (params: Record<string, unknown>) =>
      t.client.request('UpdateSubscription', { PoolKey: POOL, SubsId, PhoneNoX, ...params });

    await expectCode(
      update({ OperateType: 'updateNoA', PhoneNoA: '13800000001' }),
      'isv.BIND_CONFLICT',
    );
    await expectCode(
      update({ OperateType: 'updateNoB', PhoneNoB: '13800000002' }),
      'isv.BIND_CONFLICT',
    );
    await expectCode(
      update({ OperateType: 'updateNoB', PhoneNoB: '99' }),
      'isv.MOBILE_NUMBER_ILLEGAL',
    );
    await expectCode(
      update({ OperateType: 'updateExpire', Expiration: await expiresIn(t.sim, 10_000) }),
      'isv.EXPIRE_DATE_ILLEGAL',
    );
    await expectCode(
      update({ OperateType: 'updateAxgGroup', GroupId: '1' }),
      'isv.ILLEGAL_ARGUMENT',
    );
    await expectCode(update({ OperateType: 'updateCallRestrict' }), 'MissingCallRestrict');
    await expectCode(update({ OperateType: 'updateNoA' }), 'MissingPhoneNoA');
    await expectCode(
      t.client.request('UpdateSubscription', {
        PoolKey: POOL,
        SubsId,
        PhoneNoX: '13000000000',
        OperateType: 'updateNoA',
        PhoneNoA: '13800000005',
      }),
      'isv.SUBS_NOT_EXIST',
    );

    await update({ OperateType: 'updateNoA', PhoneNoA: '13800000005' });
    await update({ OperateType: 'updateNoB', PhoneNoB: '02112345678' });
    await update({ OperateType: 'updateExpire', Expiration: '2099-01-01 00:00:00' });
    const detail = await t.client.request('QuerySubscriptionDetail', {
      PoolKey: POOL,
      SubsId,
      PhoneNoX,
    });
    expect(detail.SecretBindDetailDTO).toMatchObject({
      PhoneNoA: '13800000005',
      PhoneNoB: '02112345678',
      ExpireDate: '2099-01-01 00:00:00',
      Status: 1,
    });
  });

  it('unbinding twice, or with the wrong X, is SUBS_NOT_EXIST', async () => {
    const { SubsId, SecretNo } = await bind(t.client, t.sim, {
      PhoneNoA: '13800000001',
      PhoneNoB: '13800000002',
    });
    await expectCode(
      t.client.request('UnbindSubscription', { PoolKey: POOL, SubsId, SecretNo: '13000000000' }),
      'isv.SUBS_NOT_EXIST',
    );
    await t.client.request('UnbindSubscription', { PoolKey: POOL, SubsId, SecretNo });
    await expectCode(
      t.client.request('UnbindSubscription', { PoolKey: POOL, SubsId, SecretNo }),
      'isv.SUBS_NOT_EXIST',
    );
    await expectCode(
      t.client.request('QuerySubscriptionDetail', { PoolKey: POOL, SubsId, PhoneNoX: SecretNo }),
      'isv.SUBS_NOT_EXIST',
    );
  });
});
