import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import {
  expectCode,
  expiresIn,
  HOUR,
  KEY_ID,
  KEY_SECRET,
  popClient,
  POOL,
  useTestSimulator,
  type PopClient,
} from './helpers.js';

const require = createRequire(import.meta.url);

type SdkMethod = (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
interface PlsSdk {
  dyplsapiClient: PopClient & { endpoint: string };
  bindAxb: SdkMethod;
  unbindSubscription: SdkMethod;
  updateSubscription: SdkMethod;
  querySubscriptionDetail: SdkMethod;
  buySecretNo: SdkMethod;
  releaseSecretNo: SdkMethod;
}

/** pls-sdk hard-codes dyplsapi.aliyuncs.com; its pop-core client reads `endpoint` per request. */
function plsSdk(sim: RunningSimulator): PlsSdk {
  const SMSClient = require('@alicloud/pls-sdk') as new (o: {
    accessKeyId: string;
    secretAccessKey: string;
  }) => PlsSdk;
  const sdk = new SMSClient({ accessKeyId: KEY_ID, secretAccessKey: KEY_SECRET });
  sdk.dyplsapiClient.endpoint = sim.url.replace(/\/$/, '');
  return sdk;
}

const t = useTestSimulator();

describe.each(['GET', 'POST'] as const)('@alicloud/pop-core RPCClient over %s', (method) => {
  const call = (action: string, params: Record<string, unknown>) =>
    t.client.request(action, params, { method });

  it('runs every action successfully', async () => {
    const bound = await call('BindAxb', {
      PoolKey: POOL,
      PhoneNoA: '13800000001',
      PhoneNoB: '02187654321',
      Expiration: await expiresIn(t.sim, HOUR),
      ExpectCity: '杭州',
      IsRecordingEnabled: true,
      OutId: 'order-1',
    });
    expect(bound).toMatchObject({ Code: 'OK', Message: 'OK' });
    expect(typeof bound.RequestId).toBe('string');
    const dto = bound.SecretBindDTO as { SubsId: string; SecretNo: string; Extension: string };
    expect(dto.SubsId).toMatch(/^\d+$/);

    const detail = await call('QuerySubscriptionDetail', {
      PoolKey: POOL,
      SubsId: dto.SubsId,
      PhoneNoX: dto.SecretNo,
    });
    expect(detail.SecretBindDetailDTO).toMatchObject({
      SubsId: dto.SubsId,
      PhoneNoA: '13800000001',
      PhoneNoB: '02187654321',
      PhoneNoX: dto.SecretNo,
      NeedRecord: true,
      Status: 1,
    });

    const update = await call('UpdateSubscription', {
      PoolKey: POOL,
      SubsId: dto.SubsId,
      PhoneNoX: dto.SecretNo,
      OperateType: 'updateNoB',
      PhoneNoB: '13900000002',
    });
    expect(update.Code).toBe('OK');

    const status = await call('QueryCallStatus', {
      PoolKey: POOL,
      SubsId: dto.SubsId,
      CallNo: '13800000001',
    });
    expect(status.SecretCallStatusDTO).toEqual({ Status: 1, CalledNo: dto.SecretNo });

    const unbind = await call('UnbindSubscription', {
      PoolKey: POOL,
      SubsId: dto.SubsId,
      SecretNo: dto.SecretNo,
    });
    expect(unbind.Code).toBe('OK');

    const remain = await call('QuerySecretNoRemain', { SpecId: 1, City: '杭州' });
    expect(remain.SecretRemainDTO).toMatchObject({ City: '杭州', Amount: 20 });

    const bought = await call('BuySecretNo', { PoolKey: POOL, SpecId: 1, City: '杭州' });
    const secretNo = (bought.SecretBuyInfoDTO as { SecretNo: string }).SecretNo;
    expect(secretNo).toMatch(/^17[01]/);

    const released = await call('ReleaseSecretNo', { PoolKey: POOL, SecretNo: secretNo });
    expect(released.Code).toBe('OK');
  });

  it('surfaces business error codes', async () => {
    await expectCode(
      call('BindAxb', {
        PoolKey: POOL,
        PhoneNoA: '12345',
        PhoneNoB: '13900000002',
        Expiration: await expiresIn(t.sim, HOUR),
      }),
      'isv.MOBILE_NUMBER_ILLEGAL',
    );
    await expectCode(
      call('QuerySubscriptionDetail', { PoolKey: POOL, SubsId: '42', PhoneNoX: '13000000000' }),
      'isv.SUBS_NOT_EXIST',
    );
    await expectCode(
      call('BuySecretNo', { PoolKey: 'FC-unknown', SpecId: 2, City: '杭州' }),
      'isv.PARTNER_NOT_EXIST',
    );
  });

  it('refuses a wrong secret, an unknown key and an unknown action', async () => {
    const params = { SpecId: 2, City: '杭州' };
    await expectCode(
      popClient(t.sim, { accessKeySecret: 'tampered' }).request('QuerySecretNoRemain', params, {
        method,
      }),
      'SignatureDoesNotMatch',
    );
    await expectCode(
      popClient(t.sim, { accessKeyId: 'nobody' }).request('QuerySecretNoRemain', params, {
        method,
      }),
      'InvalidAccessKeyId.NotFound',
    );
    await expectCode(call('SendSms', {}), 'InvalidAction.NotFound');
  });
});

describe('@alicloud/pls-sdk', () => {
  it('runs every action, success and error paths', async () => {
    const sdk = plsSdk(t.sim);
    const bound = await sdk.bindAxb({
      PoolKey: POOL,
      PhoneNoA: '13800000011',
      PhoneNoB: '13800000012',
      Expiration: await expiresIn(t.sim, HOUR),
    });
    const { SubsId, SecretNo } = bound.SecretBindDTO as { SubsId: string; SecretNo: string };

    const detail = await sdk.querySubscriptionDetail({ PoolKey: POOL, SubsId, PhoneNoX: SecretNo });
    expect(detail.SecretBindDetailDTO).toMatchObject({ SubsId, Status: 1 });

    await expect(
      sdk.updateSubscription({
        PoolKey: POOL,
        SubsId,
        PhoneNoX: SecretNo,
        OperateType: 'updateExpire',
        Expiration: await expiresIn(t.sim, 2 * HOUR),
      }),
    ).resolves.toMatchObject({ Code: 'OK' });

    // pls-sdk has no method for these two; its underlying client's request() reaches them.
    const status = await sdk.dyplsapiClient.request('QueryCallStatus', { PoolKey: POOL, SubsId });
    expect(status.SecretCallStatusDTO).toEqual({ Status: 1, CalledNo: SecretNo });
    const remain = await sdk.dyplsapiClient.request(
      'QuerySecretNoRemain',
      { SpecId: 3, City: '全国通用' },
      { method: 'POST' },
    );
    expect(remain.SecretRemainDTO).toMatchObject({ City: '全国通用', Amount: 20 });

    await expect(
      sdk.unbindSubscription({ PoolKey: POOL, SubsId, SecretNo }),
    ).resolves.toMatchObject({ Code: 'OK' });
    await expectCode(
      sdk.unbindSubscription({ PoolKey: POOL, SubsId, SecretNo }),
      'isv.SUBS_NOT_EXIST',
    );

    const bought = await sdk.buySecretNo({ PoolKey: POOL, SpecId: 3, City: '全国通用' });
    const number = (bought.SecretBuyInfoDTO as { SecretNo: string }).SecretNo;
    expect(number).toMatch(/^95/);
    await expect(sdk.releaseSecretNo({ PoolKey: POOL, SecretNo: number })).resolves.toMatchObject({
      Code: 'OK',
    });
    await expectCode(sdk.releaseSecretNo({ PoolKey: POOL, SecretNo: number }), 'isv.NO_NOT_EXIST');
    await expectCode(
      sdk.bindAxb({
        PoolKey: POOL,
        PhoneNoA: '13800000011',
        PhoneNoB: '13800000012',
        Expiration: await expiresIn(t.sim, 30_000),
      }),
      'isv.EXPIRE_DATE_ILLEGAL',
    );
  });
});
