import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/** Two instances of the service on one database, as deployed behind a load balancer. */
const POOL = 'FCTWOINSTANCES';
const ORDERS = 40;
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let one: TestApp;
let two: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createMigratedDatabase();
  one = await startTestApp(sim.env, { databaseUrl: db.url });
  two = await startTestApp(sim.env, { databaseUrl: db.url });
  // A small pool: every X carries the parties of many orders at once.
  await http('POST', `${one.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await db?.drop();
  await sim?.close();
});

type Answer = BindingView & { code?: string };

describe('the same order sent to two instances at once', () => {
  it('gets one binding from both (201 and 200), one BindAxb, never a 503', async () => {
    const before = await sim.calls('BindAxb');
    const pairs = await Promise.all(
      Array.from({ length: ORDERS }, (_, i) => {
        const body = {
          outId: `twice-${i}`,
          poolKey: POOL,
          phoneA: `1380000${String(1000 + i)}`,
          phoneB: `1390000${String(1000 + i)}`,
          ttlSeconds: 3600,
        };
        return Promise.all([
          http<Answer>('POST', `${one.url}/v1/bindings`, body),
          http<Answer>('POST', `${two.url}/v1/bindings`, body),
        ]);
      }),
    );
    for (const [a, b] of pairs) {
      const detail = JSON.stringify([a.body, b.body]);
      expect([a.status, b.status].sort(), detail).toEqual([200, 201]);
      expect(a.body.id, detail).toBe(b.body.id);
      expect([a.body.state, b.body.state], detail).toEqual(['active', 'active']);
    }
    expect(await sim.calls('BindAxb')).toBe(before + ORDERS);
  });
});
