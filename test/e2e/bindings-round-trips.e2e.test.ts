import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { countQueries } from '../support/query-counter.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/** The bind path's cost in database round trips, counted at the `pg` client. */
const POOL = 'FCROUNDTRIPS';
let sim: TestSimulator;
let t: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(sim.env);
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 3 });
  // Warm up: the API key is verified once, then cached.
  await http('POST', `${t.url}/v1/bindings`, {
    outId: 'warm-up',
    phoneA: '13800000000',
    phoneB: '13900000000',
    ttlSeconds: 3600,
  });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const bind = (outId: string, over: Record<string, unknown> = {}) =>
  http<BindingView>('POST', `${t.url}/v1/bindings`, {
    outId,
    phoneA: '13800000001',
    phoneB: '13900000001',
    ttlSeconds: 3600,
    ...over,
  });

describe('database round trips of a bind', () => {
  it('a successful bind costs at most 4 (placement, settle)', async () => {
    const counter = countQueries();
    const res = await bind('round-trips-1');
    const statements = counter.stop();
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('active');
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(4);
    expect(statements).toEqual(['binding-place', 'binding-settle-bound']);
  });

  it('a replay costs one and no provider call', async () => {
    const calls = await sim.calls('BindAxb');
    const counter = countQueries();
    const res = await bind('round-trips-1');
    const statements = counter.stop();
    expect(res.status).toBe(200);
    expect(statements).toEqual(['binding-place']);
    expect(await sim.calls('BindAxb')).toBe(calls);
  });

  it('a move after BIND_CONFLICT costs one more', async () => {
    await sim.control('POST', '/faults', {
      action: 'BindAxb',
      code: 'isv.BIND_CONFLICT',
      count: 1,
    });
    const counter = countQueries();
    const res = await bind('round-trips-2', { phoneA: '13800000002', phoneB: '13900000002' });
    const statements = counter.stop();
    expect(res.status).toBe(201);
    expect(statements).toEqual(['binding-place', 'binding-move', 'binding-settle-bound']);
  });
});
