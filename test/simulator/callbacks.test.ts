import { afterEach, describe, expect, it } from 'vitest';
import { bind, control, POOL, startReceiver, useTestSimulator } from './helpers.js';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const t = useTestSimulator({ callbackRetryDelaysMs: [20, 40] });
let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function binding() {
  return bind(t.client, t.sim, {
    PhoneNoA: '13800000001',
    PhoneNoB: '13800000002',
    IsRecordingEnabled: true,
    OutId: 'order-42',
  });
}

describe('call records (SecretReport)', () => {
  it('pushes a JSON array with the SecretReport fields', async () => {
    const hook = await receiver();
    await control(t.sim).post('/callbacks', { callRecordUrl: hook.url });
    const { SubsId, SecretNo } = await binding();
    const { body } = await control(t.sim).post('/calls', {
      subsId: SubsId,
      caller: 'B',
      durationSeconds: 30,
    });
    await hook.waitFor(1);
    const [record] = hook.received[0] ?? [];
    expect(body.records).toEqual([record]);
    expect(record).toMatchObject({
      sub_id: Number(SubsId),
      pool_key: POOL,
      phone_no: '13800000001',
      secret_no: SecretNo,
      peer_no: '13800000002',
      call_type: 1,
      release_cause: 16,
      out_id: 'order-42',
    });
    const r = record as Record<string, string>;
    expect(r.call_id).toMatch(/^[0-9a-f]{16}$/);
    expect(r.record_url).toContain(r.call_id);
    expect(
      Date.parse(`${r.release_time?.replace(' ', 'T')}+08:00`) -
        Date.parse(`${r.start_time?.replace(' ', 'T')}+08:00`),
    ).toBe(30_000);
  });

  it('retries after a failing answer or a wrong ack, then stops', async () => {
    const hook = await receiver((n) =>
      n === 1
        ? { status: 500, body: { error: 'down' } }
        : n === 2
          ? { status: 200, body: { code: 1 } }
          : { status: 200, body: { code: 0, msg: '接收成功' } },
    );
    await control(t.sim).post('/callbacks', { callRecordUrl: hook.url });
    const { SubsId } = await binding();
    await control(t.sim).post('/calls', { subsId: SubsId, caller: 'A' });
    await hook.waitFor(3);
    expect(hook.received[0]).toEqual(hook.received[2]);
    const deliveries = (await control(t.sim).get('/deliveries')).body as unknown as {
      state: string;
      attempts: { ok: boolean; status: number }[];
    }[];
    expect(deliveries[0]?.state).toBe('delivered');
    expect(deliveries[0]?.attempts.map((a) => a.status)).toEqual([500, 200, 200]);
  });

  it('gives up after the last retry delay', async () => {
    const hook = await receiver(() => ({ status: 503, body: 'no' }));
    await control(t.sim).post('/callbacks', { callRecordUrl: hook.url });
    const { SubsId } = await binding();
    await control(t.sim).post('/calls', { subsId: SubsId, caller: 'A' });
    await hook.waitFor(3);
    // Poll the delivery log (bounded) until the simulator records the final failure.
    let state = 'pending';
    for (let i = 0; i < 50 && state === 'pending'; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      const log = (await control(t.sim).get('/deliveries')).body as unknown as { state: string }[];
      state = log[0]?.state ?? 'pending';
    }
    expect(state).toBe('failed');
    expect(hook.received.length).toBe(3);
  });

  it('can deliver the same record twice', async () => {
    const hook = await receiver();
    await control(t.sim).post('/callbacks', { callRecordUrl: hook.url });
    const { SubsId } = await binding();
    const { body } = await control(t.sim).post('/calls', {
      subsId: SubsId,
      caller: 'A',
      duplicate: true,
      durationSeconds: 0,
    });
    await hook.waitFor(2);
    expect(hook.received[0]).toEqual(hook.received[1]);
    expect((body.records as unknown[]).length).toBe(2);
    expect(hook.received[0]?.[0]).toMatchObject({ release_cause: 19, record_url: '' });
  });

  it('refuses calls on unknown or expired bindings', async () => {
    expect((await control(t.sim).post('/calls', { subsId: '1', caller: 'A' })).status).toBe(404);
    const { SubsId } = await binding();
    expect((await control(t.sim).post('/calls', { subsId: SubsId, caller: 'C' })).status).toBe(400);
    await control(t.sim).post('/clock/advance', { ms: 2 * 60 * 60 * 1000 });
    expect((await control(t.sim).post('/calls', { subsId: SubsId, caller: 'A' })).status).toBe(409);
  });
});

describe('number health reports (SecretExceptionPhoneReport)', () => {
  it('pushes noStatus 0 when X turns abnormal and 1 when it recovers', async () => {
    const hook = await receiver();
    await control(t.sim).post('/callbacks', { healthReportUrl: hook.url });
    const { SecretNo } = await binding();
    await control(t.sim).post(`/numbers/${SecretNo}/health`, { status: 'abnormal' });
    await control(t.sim).post(`/numbers/${SecretNo}/health`, { status: 'normal' });
    await hook.waitFor(2);
    expect(hook.received.map((r) => r[0])).toEqual([
      expect.objectContaining({ secretNo: SecretNo, noStatus: 0, partnerKey: POOL }),
      expect.objectContaining({ secretNo: SecretNo, noStatus: 1, partnerKey: POOL }),
    ]);
    expect((await control(t.sim).post('/numbers/123/health', { status: 'normal' })).status).toBe(
      404,
    );
  });
});
