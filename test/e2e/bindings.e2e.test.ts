import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCBINDLIFECYCLE';
let sim: TestSimulator;
let t: TestApp;
const clock = new TestClock();
let hangzhou: string[];

type Binding = BindingView & {
  events?: Array<{ kind: string; actor: string; details: Record<string, unknown> }>;
};
type SimBinding = {
  subsId: string;
  phoneNoA: string;
  phoneNoB: string;
  secretNo: string;
  expireAt: string;
  live: boolean;
};

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(sim.env, { clock });
  const bought = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
    spec: 2,
    city: '杭州',
    count: 2,
  });
  expect(bought.status).toBe(201);
  hangzhou = bought.body.bought;
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '北京', count: 1 });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

let seq = 0;
const order = () => `order-${Date.now()}-${++seq}`;
const bind = (body: Record<string, unknown>) =>
  http<Binding>('POST', `${t.url}/v1/bindings`, { ttlSeconds: 3600, ...body });
const simBinding = async (subsId: string) =>
  (await sim.control<SimBinding[]>('GET', `/bindings?poolKey=${POOL}`)).find(
    (b) => b.subsId === subsId,
  );

describe('bind on trip start', () => {
  it('binds A and B on one of our numbers of the preferred city, and records the events', async () => {
    const before = await sim.calls('BindAxb');
    const res = await bind({
      outId: order(),
      phoneA: '13800000001',
      phoneB: '13900000001',
      city: '杭州',
      record: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      state: 'active',
      phoneA: '13800000001',
      phoneB: '13900000001',
      record: true,
      poolKey: POOL,
    });
    expect(hangzhou).toContain(res.body.phoneX);
    expect(res.body.subsId).toBeTruthy();
    expect(await sim.calls('BindAxb')).toBe(before + 1);
    const remote = await simBinding(res.body.subsId!);
    expect(remote).toMatchObject({
      phoneNoA: '13800000001',
      phoneNoB: '13900000001',
      secretNo: res.body.phoneX,
      live: true,
    });

    const detail = await http<Binding>('GET', `${t.url}/v1/bindings/${res.body.id}`);
    expect(detail.body.events!.map((e) => e.kind)).toEqual(['created', 'bound']);
  });

  it('replays the same order: 200 with the same binding and no provider call', async () => {
    const outId = order();
    const first = await bind({ outId, phoneA: '13800000002', phoneB: '13900000002' });
    const calls = await sim.calls('BindAxb');
    const again = await bind({ outId, phoneA: '13800000002', phoneB: '13900000002' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(await sim.calls('BindAxb')).toBe(calls);
  });

  it('refuses the same order with other parties with a 409 naming the conflict', async () => {
    const outId = order();
    await bind({ outId, phoneA: '13800000003', phoneB: '13900000003' });
    const res = await bind({ outId, phoneA: '13800000003', phoneB: '13900000099' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'OUT_ID_CONFLICT', details: { fields: ['phoneB'] } });
  });

  it('prefers X in the requested city', async () => {
    const res = await bind({
      outId: order(),
      phoneA: '13800000004',
      phoneB: '13900000004',
      city: '北京',
    });
    const numbers = await http<{ items: Array<{ number: string; city: string }> }>(
      'GET',
      `${t.url}/v1/pools/${POOL}/numbers`,
    );
    expect(numbers.body.items.find((n) => n.number === res.body.phoneX)?.city).toBe('北京');
  });

  it('never puts a party twice on one X: a second binding of the same passenger gets the other number', async () => {
    const a = await bind({
      outId: order(),
      phoneA: '13800000005',
      phoneB: '13900000005',
      city: '杭州',
      cityStrict: true,
    });
    const b = await bind({
      outId: order(),
      phoneA: '13800000005',
      phoneB: '13900000006',
      city: '杭州',
      cityStrict: true,
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.phoneX).not.toBe(a.body.phoneX);
    expect(hangzhou).toContain(b.body.phoneX);
  });

  it('uses a pinned X, and refuses a pinned X it does not hold', async () => {
    const pinned = await bind({
      outId: order(),
      phoneA: '13800000007',
      phoneB: '13900000007',
      phoneX: hangzhou[1],
    });
    expect(pinned.status).toBe(201);
    expect(pinned.body.phoneX).toBe(hangzhou[1]);
    const foreign = await bind({
      outId: order(),
      phoneA: '13800000008',
      phoneB: '13900000008',
      phoneX: '13012345678',
    });
    expect(foreign.status).toBe(409);
    expect(foreign.body).toMatchObject({ code: 'X_UNAVAILABLE', details: { field: 'phoneX' } });
  });
});

describe('change, extend, unbind', () => {
  it('changes the driver through UpdateSubscription', async () => {
    const created = await bind({ outId: order(), phoneA: '13800000010', phoneB: '13900000010' });
    const res = await http<Binding>('PATCH', `${t.url}/v1/bindings/${created.body.id}`, {
      phoneB: '13900000011',
    });
    expect(res.status).toBe(200);
    expect(res.body.phoneB).toBe('13900000011');
    expect((await simBinding(created.body.subsId!))?.phoneNoB).toBe('13900000011');
    const detail = await http<Binding>('GET', `${t.url}/v1/bindings/${created.body.id}`);
    const updated = detail.body.events!.find((e) => e.kind === 'updated');
    expect(updated?.details).toMatchObject({
      changed: { phoneB: { from: '139****0010', to: '139****0011' } },
    });
  });

  it('extends the expiry', async () => {
    const created = await bind({ outId: order(), phoneA: '13800000012', phoneB: '13900000012' });
    const res = await http<Binding>('PATCH', `${t.url}/v1/bindings/${created.body.id}`, {
      ttlSeconds: 7200,
    });
    expect(res.status).toBe(200);
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(
      new Date(created.body.expiresAt).getTime(),
    );
    const remote = await simBinding(created.body.subsId!);
    expect(
      Math.abs(new Date(remote!.expireAt).getTime() - new Date(res.body.expiresAt).getTime()),
    ).toBeLessThan(1000);
  });

  it('unbinds once at the provider, and a second unbind is a no-op', async () => {
    const created = await bind({ outId: order(), phoneA: '13800000013', phoneB: '13900000013' });
    const calls = await sim.calls('UnbindSubscription');
    const first = await http<Binding>('DELETE', `${t.url}/v1/bindings/${created.body.id}`);
    const second = await http<Binding>('DELETE', `${t.url}/v1/bindings/${created.body.id}`);
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('unbound');
    expect(second.status).toBe(200);
    expect(second.body.state).toBe('unbound');
    expect(await sim.calls('UnbindSubscription')).toBe(calls + 1);
    expect((await simBinding(created.body.subsId!))?.live).toBe(false);

    const patch = await http<{ code: string }>('PATCH', `${t.url}/v1/bindings/${created.body.id}`, {
      phoneB: '13900000014',
    });
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe('BINDING_NOT_LIVE');
    const detail = await http<Binding>('GET', `${t.url}/v1/bindings/${created.body.id}`);
    // The intent is recorded before the provider is asked, then the end.
    expect(detail.body.events!.map((e) => e.kind)).toEqual([
      'created',
      'bound',
      'unbind_requested',
      'unbound',
    ]);
    expect(detail.body.events![2]!.details).toMatchObject({ previousState: 'active' });
  });

  it('a new order of the same parties can bind again once the old one ended', async () => {
    const first = await bind({
      outId: order(),
      phoneA: '13800000015',
      phoneB: '13900000015',
      phoneX: hangzhou[0],
    });
    await http('DELETE', `${t.url}/v1/bindings/${first.body.id}`);
    const second = await bind({
      outId: order(),
      phoneA: '13800000015',
      phoneB: '13900000015',
      phoneX: hangzhou[0],
    });
    expect(second.status).toBe(201);
  });

  it('an expired binding frees its pairs at once, before any sweep', async () => {
    const first = await bind({
      outId: order(),
      phoneA: '13800000016',
      phoneB: '13900000016',
      phoneX: hangzhou[0],
      ttlSeconds: 70,
    });
    expect(first.status).toBe(201);
    clock.advance(71_000);
    await sim.control('POST', '/clock/advance', { ms: 71_000 });
    const second = await bind({
      outId: order(),
      phoneA: '13800000016',
      phoneB: '13900000016',
      phoneX: hangzhou[0],
    });
    expect(second.status).toBe(201);
    const old = await http<Binding>('GET', `${t.url}/v1/bindings/${first.body.id}`);
    expect(old.body.state).toBe('expired');
    expect(old.body.events!.map((e) => e.kind)).toContain('expired');
  });
});

describe('X is always ours', () => {
  it('an empty pool answers 503 NO_NUMBERS naming the fix, writes nothing, asks the provider nothing', async () => {
    const pool = 'FCBINDNOLOCAL';
    const own = await startTestSimulator({ poolKeys: [pool], ownedPerCity: 2 });
    const app = await startTestApp(own.env);
    try {
      const body = {
        outId: order(),
        phoneA: '13800000020',
        phoneB: '13900000020',
        ttlSeconds: 3600,
        poolKey: pool,
      };
      const res = await http<{ code: string; message: string }>(
        'POST',
        `${app.url}/v1/bindings`,
        body,
      );
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('NO_NUMBERS');
      expect(res.body.message).toContain(`POST /v1/pools/${pool}/numbers/register`);
      expect(await own.calls('BindAxb')).toBe(0);
      const search = await http<{ items: unknown[] }>(
        'GET',
        `${app.url}/v1/bindings?outId=${body.outId}`,
      );
      expect(search.body.items).toEqual([]);

      // The numbers the account holds at the provider, registered, make the same order bind.
      const held = (
        await own.control<Array<{ secretNo: string; city: string }>>(
          'GET',
          `/numbers?poolKey=${pool}`,
        )
      ).filter((n) => n.city === '杭州');
      const registered = await http<{ registered: string[] }>(
        'POST',
        `${app.url}/v1/pools/${pool}/numbers/register`,
        { numbers: held.map((n) => n.secretNo) },
      );
      expect(registered.body.registered).toEqual(held.map((n) => n.secretNo));
      const bound = await http<Binding>('POST', `${app.url}/v1/bindings`, body);
      expect(bound.status).toBe(201);
      expect(held.map((n) => n.secretNo)).toContain(bound.body.phoneX);
    } finally {
      await app.close();
      await own.close();
    }
  });
});
