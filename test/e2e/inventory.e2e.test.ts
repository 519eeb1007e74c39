import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCINVENTORY';
let sim: TestSimulator;
let t: TestApp;

type NumberRow = {
  number: string;
  spec: number;
  city: string;
  state: string;
  health: string;
  liveBindings: number;
};
type SimNumber = { secretNo: string; poolKey: string | null };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0, stockPerCity: 4 });
  t = await startTestApp(sim.env);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const numbers = async () =>
  (await http<{ items: NumberRow[] }>('GET', `${t.url}/v1/pools/${POOL}/numbers`)).body.items;
const owner = async (n: string) =>
  (await sim.control<SimNumber[]>('GET', '/numbers')).find((s) => s.secretNo === n)?.poolKey;

describe('pool inventory', () => {
  it('registers pools and 404s unknown ones', async () => {
    const res = await http<{ poolKey: string; cityStrict: boolean }>(
      'PUT',
      `${t.url}/v1/pools/FCOTHER`,
      { cityStrict: true },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ poolKey: 'FCOTHER', cityStrict: true });
    expect((await http('GET', `${t.url}/v1/pools/NOPE/numbers`)).status).toBe(404);
  });

  it('buys numbers by spec and city, one provider call each, and lists them', async () => {
    const calls = await sim.calls('BuySecretNo');
    const res = await http<{ bought: string[]; failure: null }>(
      'POST',
      `${t.url}/v1/pools/${POOL}/numbers`,
      { spec: 2, city: '杭州', count: 2 },
    );
    expect(res.status).toBe(201);
    expect(res.body.bought).toHaveLength(2);
    expect(res.body.failure).toBeNull();
    expect(await sim.calls('BuySecretNo')).toBe(calls + 2);
    for (const n of res.body.bought) expect(await owner(n)).toBe(POOL);
    const listed = await numbers();
    const mine = listed.filter((n) => res.body.bought.includes(n.number));
    expect(mine).toHaveLength(2);
    expect(mine).toEqual(
      expect.arrayContaining(
        res.body.bought.map((n) =>
          expect.objectContaining({
            number: n,
            spec: 2,
            city: '杭州',
            state: 'active',
            health: 'normal',
            liveBindings: 0,
          }),
        ),
      ),
    );
  });

  it('buys by prefix', async () => {
    const res = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
      spec: 1,
      city: '北京',
      count: 1,
      prefix: '171',
    });
    expect(res.status).toBe(201);
    expect(res.body.bought[0]).toMatch(/^171/);
  });

  it('stops at the first failure and reports how many were bought', async () => {
    const res = await http<{ bought: string[]; failure: { code: string; providerCode: string } }>(
      'POST',
      `${t.url}/v1/pools/${POOL}/numbers`,
      { spec: 2, city: '上海', count: 10 },
    );
    expect(res.status).toBe(201);
    expect(res.body.bought.length).toBeGreaterThan(0);
    expect(res.body.bought.length).toBeLessThan(10);
    expect(res.body.failure).toMatchObject({ code: 'NUMBERS_EXHAUSTED' });
    const none = await http<{ code: string }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
      spec: 2,
      city: '上海',
      count: 1,
    });
    expect(none.status).toBe(503);
    expect(none.body.code).toBe('NUMBERS_EXHAUSTED');
  });

  it('refuses to release a number with live bindings (409), releases it once free', async () => {
    const bought = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
      spec: 2,
      city: '广州',
      count: 1,
    });
    const x = bought.body.bought[0]!;
    const binding = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: `inv-${Date.now()}`,
      phoneA: '13800000001',
      phoneB: '13900000001',
      ttlSeconds: 3600,
      poolKey: POOL,
      phoneX: x,
    });
    expect(binding.status).toBe(201);
    const refused = await http<{ code: string; details: { liveBindings: number } }>(
      'DELETE',
      `${t.url}/v1/pools/${POOL}/numbers/${x}`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'NUMBER_IN_USE', details: { liveBindings: 1 } });
    expect((await numbers()).find((n) => n.number === x)).toMatchObject({
      state: 'active',
      liveBindings: 1,
    });

    await http('DELETE', `${t.url}/v1/bindings/${binding.body.id}`);
    const released = await http('DELETE', `${t.url}/v1/pools/${POOL}/numbers/${x}`);
    expect(released.status).toBe(204);
    expect(await owner(x)).toBeNull();
    expect((await numbers()).find((n) => n.number === x)?.state).toBe('released');
    expect((await http('DELETE', `${t.url}/v1/pools/${POOL}/numbers/${x}`)).status).toBe(404);
  });

  it('puts a number back in use when the provider refuses the release', async () => {
    const bought = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
      spec: 1,
      city: '杭州',
      count: 1,
    });
    const x = bought.body.bought[0]!;
    await sim.control('POST', '/faults', {
      action: 'ReleaseSecretNo',
      code: 'isp.SYSTEM_ERROR',
      count: 1,
    });
    const res = await http<{ code: string }>('DELETE', `${t.url}/v1/pools/${POOL}/numbers/${x}`);
    expect(res.status).toBe(502);
    expect((await numbers()).find((n) => n.number === x)?.state).toBe('active');
  });

  it('reports stock per city and spec with free pair capacity and the provider remainder', async () => {
    const res = await http<{
      byCityAndSpec: Array<{
        city: string;
        spec: number;
        numbers: number;
        freePairs: number;
        livePairs: number;
      }>;
      totals: { numbers: number; freePairs: number };
      providerRemaining: Array<{ spec: number; city: string; amount: number | null }>;
    }>('GET', `${t.url}/v1/pools/${POOL}/stock`);
    expect(res.status).toBe(200);
    const hz = res.body.byCityAndSpec.find((r) => r.city === '杭州' && r.spec === 2);
    expect(hz).toMatchObject({ numbers: 2, livePairs: 0, freePairs: 400 });
    expect(res.body.totals.numbers).toBe(res.body.byCityAndSpec.reduce((s, r) => s + r.numbers, 0));
    const remainHz = res.body.providerRemaining.find((r) => r.city === '杭州' && r.spec === 2);
    expect(remainHz?.amount).toBe(2); // 4 generated, 2 bought by us
  });
});
