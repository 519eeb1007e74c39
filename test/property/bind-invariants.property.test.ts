import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Random sequences of bind / unbind over a small pool (3 numbers, 5 people). After every step:
 * no X carries two live bindings sharing a party, and a bind failed only when no X of the pool
 * was free of both parties (the model below, which mirrors the selection rule).
 */
const PEOPLE = ['13800000001', '13800000002', '13800000003', '13800000004', '13800000005'];
let sim: TestSimulator;
let t: TestApp;
let xs: string[];
let run = 0;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: ['FCPROPERTY'], ownedPerCity: 0 });
  t = await startTestApp(sim.env);
  xs = (
    await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/FCPROPERTY/numbers`, {
      spec: 2,
      city: '杭州',
      count: 3,
    })
  ).body.bought;
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

type Step = { op: 'bind'; a: number; b: number } | { op: 'unbind'; pick: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ op: fc.constant('bind' as const), a: fc.nat(4), b: fc.nat(4) })
      .filter((s) => s.a !== s.b),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unbind' as const), pick: fc.nat(50) }) },
);

describe('binding invariants under random bind/unbind sequences', () => {
  it('holds invariant 2 and fails a bind only when no conflict-free X existed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run += 1;
        const live: BindingView[] = [];
        const made: string[] = [];
        try {
          for (const [i, s] of steps.entries()) {
            if (s.op === 'unbind') {
              if (live.length === 0) continue;
              const [gone] = live.splice(s.pick % live.length, 1);
              expect((await http('DELETE', `${t.url}/v1/bindings/${gone!.id}`)).status).toBe(200);
              continue;
            }
            const [a, b] = [PEOPLE[s.a]!, PEOPLE[s.b]!];
            const parties = new Set([a, b]);
            const free = xs.filter(
              (x) =>
                !live.some(
                  (l) => l.phoneX === x && (parties.has(l.phoneA) || parties.has(l.phoneB)),
                ),
            );
            const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
              outId: `p${run}-${i}`,
              phoneA: a,
              phoneB: b,
              ttlSeconds: 3600,
            });
            if (res.status === 201) {
              made.push(res.body.id);
              expect(free, 'bound although the model saw no free X').toContain(res.body.phoneX);
              live.push(res.body);
            } else {
              expect(res.status, JSON.stringify(res.body)).toBe(503);
              expect(
                free,
                `failed although a conflict-free X existed: ${JSON.stringify(res.body)}`,
              ).toEqual([]);
            }
            for (const x of xs) {
              const on = live.filter((l) => l.phoneX === x);
              expect(new Set(on.map((l) => l.phoneA)).size).toBe(on.length);
              expect(new Set(on.map((l) => l.phoneB)).size).toBe(on.length);
            }
          }
        } finally {
          // Everything this run bound, so a failing run leaves nothing behind for the next.
          for (const id of made) await http('DELETE', `${t.url}/v1/bindings/${id}`);
        }
      }),
      { numRuns: 40 },
    );
    // 40 runs of up to 12 binds and unbinds over HTTP, and their clean-up: a fixed amount of
    // work, not a speed claim, which took 30 s at load average 20.
  }, 120_000);
});
