import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DyplsapiClient } from '../../src/provider/dyplsapi/dyplsapi.client.js';
import {
  ProviderBadResponseError,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderTimeoutError,
} from '../../src/provider/errors/index.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';

const KEY_ID = 'sim-test-key';
const KEY_SECRET = 'sim-test-secret';
const POOL = 'FC100000000000009';
const A = '13800000001';
const B = '13900000002';
const B2 = '13900000003';

let sim: RunningSimulator;
let client: DyplsapiClient;

async function control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${sim.controlUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
}

async function calls(action: string): Promise<number> {
  const stats = (await control('GET', '/stats')) as {
    byAction: Record<string, { calls: number } | undefined>;
  };
  return stats.byAction[action]?.calls ?? 0;
}

async function failure<E extends ProviderError>(
  call: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

const inAnHour = () => new Date(Date.now() + 3_600_000);

/** The client's settings against this file's simulator. */
const settings = (over: { connections?: number; readRetries?: number } = {}) => ({
  endpoint: sim.url,
  accessKeyId: KEY_ID,
  accessKeySecret: KEY_SECRET,
  regionId: 'cn-hangzhou',
  timeoutMs: 1_000,
  connections: 4,
  readRetries: 2,
  ...over,
});

beforeAll(async () => {
  Logger.overrideLogger(['error', 'warn']);
  sim = await startSimulator({
    port: 0,
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    poolKeys: [POOL],
  });
  client = new DyplsapiClient(settings(), { backoff: { baseMs: 1, capMs: 5 } });
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

describe('DyplsapiClient against the simulator', () => {
  it('runs every action through a binding lifecycle', async () => {
    const before = await client.querySecretNoRemain({ spec: 2, city: '杭州' });
    expect(before.city).toBe('杭州');
    expect(before.amount).toBeGreaterThan(0);

    const { phoneX } = await client.buySecretNo({ poolKey: POOL, spec: 2, city: '杭州' });
    expect(phoneX).toMatch(/^\d{11,12}$/);
    const after = await client.querySecretNoRemain({ spec: 2, city: '杭州' });
    expect(after.amount).toBe(before.amount - 1);

    const expiresAt = inAnHour();
    const bound = await client.bindAxb(
      { poolKey: POOL, phoneA: A, phoneB: B, phoneX, expiresAt, record: true, outId: 'order-1' },
      { requestId: 'sim-1' },
    );
    expect(bound.phoneX).toBe(phoneX);
    expect(bound.subsId).not.toBe('');
    const ref = { poolKey: POOL, subsId: bound.subsId, phoneX };

    const detail = await client.querySubscriptionDetail(ref);
    expect(detail).toMatchObject({
      subsId: bound.subsId,
      phoneA: A,
      phoneB: B,
      phoneX,
      record: true,
      active: true,
    });
    expect(detail.expiresAt.getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);

    expect((await client.queryCallStatus({ ...ref, callerNo: A })).status).toBe(1);

    await client.updateSubscription({ ...ref, change: { kind: 'phoneB', phoneB: B2 } });
    const later = new Date(expiresAt.getTime() + 1_800_000);
    await client.updateSubscription({ ...ref, change: { kind: 'expiry', expiresAt: later } });
    await client.updateSubscription({ ...ref, change: { kind: 'phoneA', phoneA: '13800000009' } });
    const updated = await client.querySubscriptionDetail(ref);
    expect(updated).toMatchObject({ phoneA: '13800000009', phoneB: B2 });
    expect(updated.expiresAt.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);

    await client.unbindSubscription(ref);
    const bindings = (await control('GET', `/bindings?poolKey=${POOL}`)) as unknown as {
      subsId: string;
      live: boolean;
    }[];
    expect(bindings.find((b) => b.subsId === bound.subsId)?.live).toBe(false);
    await client.releaseSecretNo({ poolKey: POOL, phoneX });
  });

  it('surfaces the simulator rules as typed, final Code errors', async () => {
    const { phoneX } = await client.buySecretNo({ poolKey: POOL, spec: 2, city: '杭州' });
    await client.bindAxb({ poolKey: POOL, phoneA: A, phoneB: B, phoneX, expiresAt: inAnHour() });
    const before = await calls('BindAxb');
    const conflict = await failure(
      client.bindAxb({ poolKey: POOL, phoneA: A, phoneB: B2, phoneX, expiresAt: inAnHour() }),
      ProviderCodeError,
    );
    expect(conflict).toMatchObject({
      code: 'isv.BIND_CONFLICT',
      kind: 'conflict',
      retryable: false,
    });
    expect(conflict.requestId).toBeTruthy();
    expect(await calls('BindAxb')).toBe(before + 1);

    const early = await failure(
      client.bindAxb({
        poolKey: POOL,
        phoneA: A,
        phoneB: B2,
        expiresAt: new Date(Date.now() + 10_000),
      }),
      ProviderCodeError,
    );
    expect(early).toMatchObject({ code: 'isv.EXPIRE_DATE_ILLEGAL', kind: 'invalid-argument' });

    const released = await failure(
      client.releaseSecretNo({ poolKey: POOL, phoneX }),
      ProviderCodeError,
    );
    expect(released.retryable).toBe(false);
  });

  it('retries a read through a forced isv.FLOW_LIMIT, but never a write', async () => {
    const { phoneX } = await client.buySecretNo({ poolKey: POOL, spec: 2, city: '北京' });
    const ref = { poolKey: POOL, phoneX };
    const { subsId } = await client.bindAxb({
      ...ref,
      phoneA: '13700000001',
      phoneB: '13700000002',
      expiresAt: inAnHour(),
    });

    await control('POST', '/faults', {
      action: 'QuerySubscriptionDetail',
      code: 'isv.FLOW_LIMIT',
      count: 1,
    });
    const reads = await calls('QuerySubscriptionDetail');
    expect((await client.querySubscriptionDetail({ ...ref, subsId })).active).toBe(true);
    expect(await calls('QuerySubscriptionDetail')).toBe(reads + 2);

    await control('POST', '/faults', {
      action: 'UnbindSubscription',
      code: 'isv.FLOW_LIMIT',
      count: 1,
    });
    const writes = await calls('UnbindSubscription');
    const limited = await failure(client.unbindSubscription({ ...ref, subsId }), ProviderCodeError);
    expect(limited).toMatchObject({
      code: 'isv.FLOW_LIMIT',
      retryable: true,
      outcome: 'not-applied',
    });
    expect(await calls('UnbindSubscription')).toBe(writes + 1);
    await client.unbindSubscription({ ...ref, subsId });
  });

  it('reports a refused QueryCallStatus as a permission error without retrying', async () => {
    await control('POST', '/private-actions', { queryCallStatus: 'refused' });
    try {
      const before = await calls('QueryCallStatus');
      const err = await failure(
        client.queryCallStatus({ poolKey: POOL, subsId: '1', callerNo: A }),
        ProviderCodeError,
      );
      expect(err).toMatchObject({
        code: 'isp.RAM_PERMISSION_DENY',
        kind: 'permission',
        retryable: false,
      });
      expect(await calls('QueryCallStatus')).toBe(before + 1);
    } finally {
      await control('POST', '/private-actions', { queryCallStatus: 'allowed' });
    }
  });

  it('retries a read through latency beyond the timeout; a slow BindAxb is one attempt, outcome unknown', async () => {
    await control('POST', '/faults', { action: 'QuerySecretNoRemain', latencyMs: 2_000, count: 1 });
    const remain = await client.querySecretNoRemain({ spec: 1, city: '上海' }, { timeoutMs: 400 });
    expect(remain.city).toBe('上海');

    await control('POST', '/faults', { action: 'BindAxb', latencyMs: 2_000, count: 1 });
    const err = await failure(
      client.bindAxb(
        { poolKey: POOL, phoneA: '13600000001', phoneB: '13600000002', expiresAt: inAnHour() },
        { timeoutMs: 300 },
      ),
      ProviderTimeoutError,
    );
    expect(err).toMatchObject({ outcome: 'unknown', attempt: 1, timeoutMs: 300 });
  });

  it('reports a BindAxb answer lost after processing as unknown, and the binding does exist', async () => {
    await control('POST', '/faults', { action: 'BindAxb', drop: 1, afterProcessing: true });
    const before = await calls('BindAxb');
    const err = await failure(
      client.bindAxb({
        poolKey: POOL,
        phoneA: '13500000001',
        phoneB: '13500000002',
        expiresAt: inAnHour(),
      }),
      ProviderConnectionError,
    );
    expect(err).toMatchObject({ outcome: 'unknown', sent: true });
    expect(await calls('BindAxb')).toBe(before + 1);
    const bindings = (await control('GET', `/bindings?poolKey=${POOL}`)) as unknown as {
      live: boolean;
    }[];
    expect(bindings.filter((b) => b.live).length).toBeGreaterThan(0);
  });

  it('reports a call made after close() began as not sent (UND_ERR_CLOSED), never "maybe sent"', async () => {
    const closing = new DyplsapiClient(settings({ connections: 1, readRetries: 0 }));
    const before = await calls('BindAxb');
    const closed = closing.close();
    const err = await failure(
      closing.bindAxb({
        poolKey: POOL,
        phoneA: '13500000011',
        phoneB: '13500000012',
        expiresAt: inAnHour(),
      }),
      ProviderConnectionError,
    );
    await closed;
    expect(err).toMatchObject({ errorCode: 'UND_ERR_CLOSED', sent: false, outcome: 'not-applied' });
    expect(await calls('BindAxb')).toBe(before);
  });

  it('gives up on a read after repeated non-JSON 502s', async () => {
    await control('POST', '/faults', { action: 'QuerySecretNoRemain', httpStatus: 502, count: 3 });
    const err = await failure(
      client.querySecretNoRemain({ spec: 2, city: '杭州' }),
      ProviderBadResponseError,
    );
    expect(err).toMatchObject({ reason: 'not-json', status: 502, attempt: 3 });
  });

  it('speaks GET too, and sees bindings expire on the simulated clock', async () => {
    const getClient = new DyplsapiClient(
      {
        endpoint: sim.url,
        accessKeyId: KEY_ID,
        accessKeySecret: KEY_SECRET,
        regionId: 'cn-hangzhou',
        timeoutMs: 1_000,
        connections: 1,
        readRetries: 0,
      },
      { method: 'GET' },
    );
    try {
      const { phoneX } = await getClient.buySecretNo({ poolKey: POOL, spec: 2, city: '广州' });
      const ref = { poolKey: POOL, phoneX };
      const { subsId } = await getClient.bindAxb({
        ...ref,
        phoneA: '13400000001',
        phoneB: '13400000002',
        expiresAt: new Date(Date.now() + 300_000),
      });
      await control('POST', '/clock/advance', { ms: 600_000 });
      expect((await getClient.querySubscriptionDetail({ ...ref, subsId })).active).toBe(false);
      expect(
        await getClient.queryCallStatus({ poolKey: POOL, subsId, callerNo: '13400000001' }),
      ).toMatchObject({
        status: 4,
      });
      const forbidden = await failure(
        getClient.updateSubscription({ ...ref, subsId, change: { kind: 'phoneB', phoneB: B2 } }),
        ProviderCodeError,
      );
      expect(forbidden).toMatchObject({ code: 'isv.FORBIDDEN_ACTION', kind: 'forbidden-state' });
    } finally {
      await getClient.close();
    }
  });
});
