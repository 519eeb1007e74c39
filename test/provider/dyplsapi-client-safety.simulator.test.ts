import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProviderDate } from '../../src/protocol/provider-dates.js';
import { DyplsapiClient } from '../../src/provider/dyplsapi/dyplsapi.client.js';
import { ProviderCodeError } from '../../src/provider/errors/index.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';

/**
 * Our client's call-control, recording, transcript, lock and blacklist methods against the
 * simulator over real HTTP (V3 signatures, the client's default).
 */
const KEY_ID = 'sim-safety-key';
const KEY_SECRET = 'sim-safety-secret';
const POOL = 'FC100000000000009';

let sim: RunningSimulator;
let client: DyplsapiClient;

async function control(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${sim.controlUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
}

async function failure(call: Promise<unknown>): Promise<ProviderCodeError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderCodeError);
  return err as ProviderCodeError;
}

const inAnHour = () => new Date(Date.now() + 3_600_000);

beforeAll(async () => {
  Logger.overrideLogger(['error', 'warn']);
  sim = await startSimulator({
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    poolKeys: [POOL],
  });
  client = new DyplsapiClient({
    endpoint: sim.url,
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    regionId: 'cn-hangzhou',
    timeoutMs: 2_000,
    connections: 2,
    readRetries: 1,
  });
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

describe('DyplsapiClient call control and number safety against the simulator', () => {
  it('runs call control, recordings, transcripts, locks and the blacklist through the port', async () => {
    const { phoneX } = await client.buySecretNo({ poolKey: POOL, spec: 2, city: '上海' });
    const ref = { poolKey: POOL, phoneX };
    const { subsId } = await client.bindAxb({
      ...ref,
      phoneA: '13300000001',
      phoneB: '13300000002',
      expiresAt: inAnHour(),
      record: true,
      asr: true,
      asrModelId: 'model-1',
      callRestrict: 'CONTROL_BX_DISABLE',
      callDisplayType: 1,
      callTimeoutSeconds: 20,
      ringConfig: { AXBRing_B: '100000002' },
      dtmfConfig: { step1File: 'menu.wav', validKey: '1' },
      outOrderId: 'trip-1',
    });
    const sub = { ...ref, subsId };
    expect(await client.querySubscriptionDetail(sub)).toMatchObject({
      callRestrict: 'CONTROL_BX_DISABLE',
      asr: true,
      asrModelId: 'model-1',
      record: true,
    });

    // B is restricted: the platform intercepts; A's call is recorded and transcribed.
    const blocked = await control('POST', '/calls', { subsId, caller: 'B' });
    expect(blocked).toMatchObject({ intercepted: true, records: [{ call_type: 4 }] });
    const placed = (await control('POST', '/calls', { subsId, caller: 'A' })) as {
      records: Array<{ call_id: string; call_time: string }>;
    };
    const callRef = {
      poolKey: POOL,
      callId: placed.records[0]!.call_id,
      callTime: parseProviderDate(placed.records[0]!.call_time)!,
    };
    const link = await client.queryRecordFileDownloadUrl(callRef);
    const now = Number((await control('GET', '/clock')).epochMs);
    expect(link.expiresAt.getTime() - now).toBeGreaterThan(7_000_000);
    expect((await fetch(link.url)).status).toBe(200);
    const transcript = await client.getSecretAsrDetail(callRef);
    expect(transcript.statusCode).toBe('21050000');
    expect(transcript.sentences.length).toBeGreaterThan(0);

    for (const change of [
      { kind: 'callRestrict', callRestrict: 'CONTROL_CLEAR_DISABLE' },
      { kind: 'callDisplayType', callDisplayType: 1 },
      { kind: 'outId', outId: 'order-9' },
      { kind: 'recording', record: false, asr: false },
    ] as const) {
      await client.updateSubscription({ ...sub, change });
    }
    expect(await client.querySubscriptionDetail(sub)).toMatchObject({
      callRestrict: null,
      asr: false,
      record: false,
    });

    await client.lockSecretNo(ref);
    const locked = await failure(
      client.bindAxb({
        ...ref,
        phoneA: '13300000003',
        phoneB: '13300000004',
        expiresAt: inAnHour(),
      }),
    );
    expect(locked).toMatchObject({ code: 'isv.FORBIDDEN_ACTION', mutating: true });
    expect((await client.querySecretNoDetail(ref)).status).toBe(2);
    await client.unlockSecretNo(ref);

    const entry = {
      poolKey: POOL,
      blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
      phone: '13300000001',
    } as const;
    await client.addSecretBlacklist(entry);
    expect(await control('POST', '/calls', { subsId, caller: 'A' })).toMatchObject({
      intercepted: true,
      records: [{ call_type: 4, unconnected_cause: 1 }],
    });
    await client.deleteSecretBlacklist(entry);
    expect(await control('POST', '/calls', { subsId, caller: 'A' })).toMatchObject({
      intercepted: false,
    });
    const invalid = await failure(client.addSecretBlacklist({ ...entry, phone: '12' }));
    expect(invalid).toMatchObject({ code: 'isv.MOBILE_NUMBER_ILLEGAL', kind: 'invalid-argument' });
    await client.unbindSubscription(sub);
  });
});
