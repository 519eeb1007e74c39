import { describe, expect, it } from 'vitest';
import {
  control,
  expiresIn,
  HOUR,
  placeCall,
  POOL,
  useTestSimulator,
  v3Client,
  v3Code,
} from './helpers.js';

/**
 * BindAxb's call-control parameters, every AXB OperateType of UpdateSubscription, and the
 * restriction enforced on simulated calls — driven with Alibaba's V3 client
 * (`@alicloud/openapi-client`), parameters in the query as the generated SDK sends them.
 */
const t = useTestSimulator();
const A = '13800330001';
const B = '13900330001';

async function bindV3(params: Record<string, string | number | boolean> = {}) {
  const res = await v3Client(t.sim).call('BindAxb', {
    PoolKey: POOL,
    PhoneNoA: A,
    PhoneNoB: B,
    Expiration: await expiresIn(t.sim, HOUR),
    ...params,
  });
  expect(res.Code, JSON.stringify(res)).toBe('OK');
  return res.SecretBindDTO as { SubsId: string; SecretNo: string };
}

async function detail(dto: { SubsId: string; SecretNo: string }) {
  const res = await v3Client(t.sim).call('QuerySubscriptionDetail', {
    PoolKey: POOL,
    SubsId: dto.SubsId,
    PhoneNoX: dto.SecretNo,
  });
  return res.SecretBindDetailDTO as Record<string, unknown>;
}

describe('BindAxb call control', () => {
  it('accepts every parameter of the SDK model and answers them in the detail', async () => {
    const dto = await bindV3({
      OutOrderId: 'trip-77',
      CallRestrict: 'CONTROL_BX_DISABLE',
      CallDisplayType: 1,
      CallTimeout: 10,
      RingConfig: '{"AXBRing_A":"100000001","AXBRing_B":"100000002"}',
      DtmfConfig: '{"endCallIvrPhoneNo":"A","step1File":"menu.wav","validKey":"1,2"}',
      ASRStatus: true,
      ASRModelId: '7ee372834d2f4cc7ac0d0ab2d0ae1aac',
      IsRecordingEnabled: true,
    });
    expect(await detail(dto)).toMatchObject({
      CallRestrict: 'CONTROL_BX_DISABLE',
      ASRStatus: true,
      ASRModelId: '7ee372834d2f4cc7ac0d0ab2d0ae1aac',
      NeedRecord: true,
      Status: 1,
    });
    const [binding] = (await control(t.sim).get(`/bindings?poolKey=${POOL}`))
      .body as unknown as Array<{ settings: Record<string, unknown> }>;
    expect(binding?.settings).toMatchObject({
      outOrderId: 'trip-77',
      callDisplayType: 1,
      callTimeoutSeconds: 10,
      ringConfig: { AXBRing_A: '100000001', AXBRing_B: '100000002' },
      dtmfConfig: { endCallIvrPhoneNo: 'A', step1File: 'menu.wav', validKey: '1,2' },
    });
  });

  it('leaves CallRestrict out of the detail when none is set, ASRStatus false', async () => {
    const info = await detail(await bindV3());
    expect(info).not.toHaveProperty('CallRestrict');
    expect(info).not.toHaveProperty('ASRModelId');
    expect(info.ASRStatus).toBe(false);
  });

  it('refuses each wrong value with isv.ILLEGAL_ARGUMENT naming the parameter, binding nothing', async () => {
    const cases: Array<[string, string | number]> = [
      ['CallRestrict', 'CONTROL_CLEAR_DISABLE'],
      ['CallRestrict', 'CONTROL_AB_DISABLE'],
      ['CallDisplayType', 2],
      ['CallTimeout', 4],
      ['CallTimeout', 21],
      ['RingConfig', '{"AXNRing_A":"1"}'],
      ['RingConfig', 'not json'],
      ['DtmfConfig', '{"step1File":"a.wav","validKey":"1","maxLoop":9}'],
      ['ASRStatus', 'maybe'],
      ['ASRModelId', 'bad id'],
      ['IsRecordingEnabled', 'yes'],
      ['OutOrderId', 'x'.repeat(65)],
    ];
    for (const [name, value] of cases) {
      const res = await v3Client(t.sim).call('BindAxb', {
        PoolKey: POOL,
        PhoneNoA: A,
        PhoneNoB: B,
        Expiration: await expiresIn(t.sim, HOUR),
        [name]: value,
      });
      expect(res.Code, `${name}=${value}`).toBe('isv.ILLEGAL_ARGUMENT');
      expect(String(res.Message)).toContain(name);
    }
    expect((await control(t.sim).get(`/bindings?poolKey=${POOL}`)).body).toEqual([]);
  });
});

describe('UpdateSubscription, every AXB OperateType', () => {
  it('changes restriction, display, OutId, recording and ASR; a refused change changes nothing', async () => {
    const dto = await bindV3({ OutId: 'order-1' });
    const v3 = v3Client(t.sim);
    const update = (params: Record<string, string | number | boolean>) =>
      v3.call('UpdateSubscription', {
        PoolKey: POOL,
        SubsId: dto.SubsId,
        PhoneNoX: dto.SecretNo,
        ...params,
      });
    const codes = async (params: Record<string, string | number | boolean>) =>
      v3Code(update(params));

    expect(
      await codes({ OperateType: 'updateCallRestrict', CallRestrict: 'CONTROL_AX_DISABLE' }),
    ).toBe('OK');
    expect((await detail(dto)).CallRestrict).toBe('CONTROL_AX_DISABLE');
    expect(
      await codes({ OperateType: 'updateCallRestrict', CallRestrict: 'CONTROL_CLEAR_DISABLE' }),
    ).toBe('OK');
    expect(await detail(dto)).not.toHaveProperty('CallRestrict');
    expect(await codes({ OperateType: 'updateCallDisplayType', CallDisplayType: 1 })).toBe('OK');
    expect(await codes({ OperateType: 'updateOutId', OutId: 'order-2' })).toBe('OK');
    expect(
      await codes({
        OperateType: 'updateIsRecordingEnabled',
        IsRecordingEnabled: true,
        ASRStatus: true,
        ASRModelId: 'm-2',
      }),
    ).toBe('OK');
    expect(await detail(dto)).toMatchObject({
      NeedRecord: true,
      ASRStatus: true,
      ASRModelId: 'm-2',
    });
    const [binding] = (await control(t.sim).get(`/bindings?poolKey=${POOL}`))
      .body as unknown as Array<{ outId: string; settings: { callDisplayType: number } }>;
    expect(binding).toMatchObject({ outId: 'order-2', settings: { callDisplayType: 1 } });

    // Wrong values, missing parameters and AXG-only types are refused and change nothing.
    expect(await codes({ OperateType: 'updateCallRestrict', CallRestrict: 'OFF' })).toBe(
      'isv.ILLEGAL_ARGUMENT',
    );
    expect(await codes({ OperateType: 'updateCallRestrict' })).toBe('MissingCallRestrict');
    expect(await codes({ OperateType: 'updateCallDisplayType', CallDisplayType: 0 })).toBe(
      'isv.ILLEGAL_ARGUMENT',
    );
    expect(await codes({ OperateType: 'updateOutId' })).toBe('MissingOutId');
    expect(
      await codes({
        OperateType: 'updateIsRecordingEnabled',
        IsRecordingEnabled: false,
        ASRStatus: 'x',
      }),
    ).toBe('isv.ILLEGAL_ARGUMENT');
    expect(await codes({ OperateType: 'updateAxgGroup', GroupId: '1234' })).toBe(
      'isv.ILLEGAL_ARGUMENT',
    );
    expect(await detail(dto)).toMatchObject({
      NeedRecord: true,
      ASRStatus: true,
      ASRModelId: 'm-2',
    });

    await control(t.sim).post('/clock/advance', { ms: HOUR + 1000 });
    expect(await codes({ OperateType: 'updateOutId', OutId: 'late' })).toBe('isv.FORBIDDEN_ACTION');
  });
});

describe('restrictions on simulated calls', () => {
  it('intercepts the restricted side only: call_type 4, REJECT, unconnected_cause 3', async () => {
    const dto = await bindV3({ CallRestrict: 'CONTROL_BX_DISABLE', IsRecordingEnabled: true });
    const fromB = await placeCall(t.sim, dto.SubsId, 'B', { durationSeconds: 30 });
    expect(fromB.intercepted).toBe(true);
    expect(fromB.record).toMatchObject({
      call_type: 4,
      control_type: 'REJECT',
      unconnected_cause: 3,
      record_url: '',
    });
    expect(String(fromB.record.control_msg)).toContain('CONTROL_BX_DISABLE');
    expect(fromB.record.start_time).toBe(fromB.record.release_time);

    const fromA = await placeCall(t.sim, dto.SubsId, 'A', { durationSeconds: 30 });
    expect(fromA.intercepted).toBe(false);
    expect(fromA.record).toMatchObject({
      call_type: 0,
      control_type: 'CONTINUE',
      control_msg: 'OK',
      unconnected_cause: 0,
    });

    // The trip ends: the driver (B) was restricted; clearing lets B through again.
    await v3Client(t.sim).call('UpdateSubscription', {
      PoolKey: POOL,
      SubsId: dto.SubsId,
      PhoneNoX: dto.SecretNo,
      OperateType: 'updateCallRestrict',
      CallRestrict: 'CONTROL_CLEAR_DISABLE',
    });
    expect((await placeCall(t.sim, dto.SubsId, 'B')).intercepted).toBe(false);
  });

  it('an unanswered call that nobody blocked has unconnected_cause 0', async () => {
    const dto = await bindV3();
    const call = await placeCall(t.sim, dto.SubsId, 'A', { durationSeconds: 0 });
    expect(call.record).toMatchObject({ call_type: 0, unconnected_cause: 0, release_cause: 19 });
  });
});
