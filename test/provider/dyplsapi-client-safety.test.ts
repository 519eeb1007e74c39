import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DyplsapiClient } from '../../src/provider/dyplsapi/dyplsapi.client.js';
import { ProviderBadResponseError, ProviderCodeError } from '../../src/provider/errors/index.js';
import { codeError, ok, startDyplsapiStub, type DyplsapiStub } from './support/dyplsapi-stub.js';

/**
 * The call-control, recording, transcript, lock and blacklist parts of the client against a stub
 * that checks every signature: the parameters each sends, how answers map, and that writes are
 * never retried while reads are.
 */

const SECRET = 'stub-secret';
const POOL = 'FC100000000000001';
const A = '13800000001';
const B = '13900000002';
const X = '17100000001';
const NOW = new Date('2026-11-22T04:00:00Z');

let stub: DyplsapiStub;
const clients: DyplsapiClient[] = [];

function makeClient(): DyplsapiClient {
  const client = new DyplsapiClient(
    {
      endpoint: stub.url,
      accessKeyId: 'stub-key',
      accessKeySecret: SECRET,
      regionId: 'cn-hangzhou',
      timeoutMs: 1_000,
      connections: 2,
      readRetries: 2,
    },
    { backoff: { baseMs: 1, capMs: 5 }, now: () => NOW },
  );
  clients.push(client);
  return client;
}

const paramsOf = (action: string) =>
  stub.requests.filter((r) => r.action === action).map((r) => r.params);

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (e: unknown) => e,
  );
}

beforeAll(async () => {
  Logger.overrideLogger(['error', 'warn']);
  stub = await startDyplsapiStub(SECRET);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  stub.reset();
});
afterAll(async () => {
  await stub.close();
});

describe('BindAxb and UpdateSubscription: every parameter and OperateType', () => {
  it('forwards the call-control and ASR parameters, JSON for the configs', async () => {
    const client = makeClient();
    await client.bindAxb({
      poolKey: POOL,
      phoneA: A,
      phoneB: B,
      expiresAt: new Date('2026-11-22T06:30:00Z'),
      outOrderId: 'trip-9',
      callRestrict: 'CONTROL_AX_DISABLE',
      callDisplayType: 1,
      callTimeoutSeconds: 15,
      ringConfig: { AXBRing_A: '100000001' },
      dtmfConfig: { step1File: 'menu.wav', validKey: '1,2', maxLoop: 2 },
      asr: true,
      asrModelId: 'model-1',
    });
    expect(paramsOf('BindAxb')[0]).toMatchObject({
      OutOrderId: 'trip-9',
      CallRestrict: 'CONTROL_AX_DISABLE',
      CallDisplayType: '1',
      CallTimeout: '15',
      RingConfig: '{"AXBRing_A":"100000001"}',
      DtmfConfig: '{"step1File":"menu.wav","validKey":"1,2","maxLoop":2}',
      ASRStatus: 'true',
      ASRModelId: 'model-1',
    });

    await client.bindAxb({ poolKey: POOL, phoneA: A, phoneB: B, expiresAt: NOW });
    const plain = paramsOf('BindAxb')[1]!;
    for (const name of ['OutOrderId', 'CallRestrict', 'CallTimeout', 'RingConfig', 'ASRStatus']) {
      expect(plain[name], name).toBeUndefined();
    }
  });

  it('sends one OperateType per change with its parameter', async () => {
    const client = makeClient();
    const ref = { poolKey: POOL, subsId: '1', phoneX: X };
    await client.updateSubscription({
      ...ref,
      change: { kind: 'callRestrict', callRestrict: 'CONTROL_BX_DISABLE' },
    });
    await client.updateSubscription({
      ...ref,
      change: { kind: 'callRestrict', callRestrict: 'CONTROL_CLEAR_DISABLE' },
    });
    await client.updateSubscription({
      ...ref,
      change: { kind: 'callDisplayType', callDisplayType: 1 },
    });
    await client.updateSubscription({ ...ref, change: { kind: 'outId', outId: 'order-2' } });
    await client.updateSubscription({ ...ref, change: { kind: 'recording', record: true } });
    await client.updateSubscription({
      ...ref,
      change: { kind: 'recording', record: false, asr: false, asrModelId: 'm' },
    });
    const base = { PoolKey: POOL, SubsId: '1', PhoneNoX: X };
    expect(paramsOf('UpdateSubscription')).toEqual([
      { ...base, OperateType: 'updateCallRestrict', CallRestrict: 'CONTROL_BX_DISABLE' },
      { ...base, OperateType: 'updateCallRestrict', CallRestrict: 'CONTROL_CLEAR_DISABLE' },
      { ...base, OperateType: 'updateCallDisplayType', CallDisplayType: '1' },
      { ...base, OperateType: 'updateOutId', OutId: 'order-2' },
      { ...base, OperateType: 'updateIsRecordingEnabled', IsRecordingEnabled: 'true' },
      {
        ...base,
        OperateType: 'updateIsRecordingEnabled',
        IsRecordingEnabled: 'false',
        ASRStatus: 'false',
        ASRModelId: 'm',
      },
    ]);
  });

  it('maps detail without restriction or ASR to null / false, and refuses an unknown restriction', async () => {
    const client = makeClient();
    const detailDto = (extra: Record<string, unknown>) =>
      ok({
        SecretBindDetailDTO: {
          SubsId: '1',
          PhoneNoA: A,
          PhoneNoB: B,
          PhoneNoX: X,
          GmtCreate: '2026-11-22 12:00:00',
          ExpireDate: '2026-11-22 14:30:00',
          NeedRecord: false,
          Status: 1,
          ...extra,
        },
      });
    stub.script(detailDto({}), detailDto({ CallRestrict: 'CONTROL_SOMETHING' }));
    const ref = { poolKey: POOL, subsId: '1', phoneX: X };
    expect(await client.querySubscriptionDetail(ref)).toMatchObject({
      callRestrict: null,
      asr: false,
      asrModelId: null,
    });
    const err = await rejection(client.querySubscriptionDetail(ref, { retries: 0 }));
    expect(err).toBeInstanceOf(ProviderBadResponseError);
    expect((err as ProviderBadResponseError).message).toContain('CallRestrict');
  });
});

describe('recordings and transcripts', () => {
  const call = { poolKey: POOL, callId: 'abcedf1234', callTime: new Date('2026-11-22T04:00:00Z') };

  it('asks for the link with CallId, CallTime in provider time and PoolKey; expiry from the URL', async () => {
    const link = await makeClient().queryRecordFileDownloadUrl(call);
    expect(paramsOf('QueryRecordFileDownloadUrl')[0]).toEqual({
      PoolKey: POOL,
      CallId: 'abcedf1234',
      CallTime: '2026-11-22 12:00:00',
    });
    expect(link.url).toContain('abcedf1234.mp3?Expires=1551755668');
    expect(link.expiresAt).toEqual(new Date(1_551_755_668_000));
  });

  it('takes a link without Expires to last the documented 2 hours; no link is a bad answer', async () => {
    const client = makeClient();
    stub.script(ok({ DownloadUrl: 'https://oss.example/r.mp3' }), ok({}), ok({ DownloadUrl: 'x' }));
    expect((await client.queryRecordFileDownloadUrl(call)).expiresAt).toEqual(
      new Date(NOW.getTime() + 2 * 3_600_000),
    );
    for (const reason of ['missing-dto', 'invalid-dto']) {
      const err = await rejection(client.queryRecordFileDownloadUrl(call, { retries: 0 }));
      expect(err).toBeInstanceOf(ProviderBadResponseError);
      expect(err).toMatchObject({ reason });
    }
  });

  it('maps the documented GetSecretAsrDetail answer', async () => {
    const detail = await makeClient().getSecretAsrDetail(call);
    expect(paramsOf('GetSecretAsrDetail')[0]).toMatchObject({ CallTime: '2026-11-22 12:00:00' });
    expect(detail).toEqual({
      statusCode: '21050000',
      statusMessage: 'SUCCESS',
      bizDurationMs: 10944,
      businessId: '435ee78c7a019650@!FC100000074672458@!202006152200',
      sentences: [
        {
          beginTimeMs: 1020,
          endTimeMs: 1770,
          channelId: 0,
          text: '您好',
          emotionValue: 5.7,
          silenceDurationSeconds: 0,
          speechRate: 80,
        },
      ],
    });
  });

  it('retries the reads through flow control', async () => {
    const client = makeClient();
    stub.script(codeError('isv.FLOW_LIMIT'), codeError('isv.FLOW_LIMIT'));
    await client.getSecretAsrDetail(call);
    expect(stub.count('GetSecretAsrDetail')).toBe(3);
  });
});

describe('number locks and the blacklist', () => {
  it('sends PoolKey and SecretNo to lock and unlock', async () => {
    const client = makeClient();
    await client.lockSecretNo({ poolKey: POOL, phoneX: X });
    await client.unlockSecretNo({ poolKey: POOL, phoneX: X });
    expect(paramsOf('LockSecretNo')).toEqual([{ PoolKey: POOL, SecretNo: X }]);
    expect(paramsOf('UnlockSecretNo')).toEqual([{ PoolKey: POOL, SecretNo: X }]);
  });

  it('joins a point-to-point pair with ":", sends WayControl only for pairs', async () => {
    const client = makeClient();
    await client.addSecretBlacklist({
      poolKey: POOL,
      blackType: 'POINT_TO_POINT_BLACK',
      phone: A,
      peerPhone: B,
      wayControl: 'PHONEA_REJECT',
      remark: 'harassment',
    });
    await client.deleteSecretBlacklist({
      poolKey: POOL,
      blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
      phone: A,
    });
    expect(paramsOf('AddSecretBlacklist')).toEqual([
      {
        PoolKey: POOL,
        BlackType: 'POINT_TO_POINT_BLACK',
        BlackNo: `${A}:${B}`,
        WayControl: 'PHONEA_REJECT',
        Remark: 'harassment',
      },
    ]);
    expect(paramsOf('DeleteSecretBlacklist')).toEqual([
      { PoolKey: POOL, BlackType: 'PARTNER_GLOBAL_NUMBER_BLACK', BlackNo: A },
    ]);
  });

  it('never retries these writes, and logs the blacklisted numbers masked only', async () => {
    const client = makeClient();
    const debug = vi.spyOn(Logger.prototype, 'debug');
    try {
      for (const action of ['LockSecretNo', 'AddSecretBlacklist'] as const) {
        stub.script(codeError('isv.FLOW_LIMIT'));
        const err = await rejection(
          action === 'LockSecretNo'
            ? client.lockSecretNo({ poolKey: POOL, phoneX: X })
            : client.addSecretBlacklist({
                poolKey: POOL,
                blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
                phone: A,
              }),
        );
        expect(err).toBeInstanceOf(ProviderCodeError);
        expect(err).toMatchObject({ retryable: true, outcome: 'not-applied', attempt: 1 });
        expect(stub.count(action)).toBe(1);
      }
      const lines = debug.mock.calls.map((c) => String(c[0])).join('\n');
      expect(lines).toContain('BlackNo=138****0001');
      expect(lines).not.toContain(A);
      expect(lines).not.toContain(X);
    } finally {
      debug.mockRestore();
    }
  });
});
