import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

let sim: TestSimulator;
let t: TestApp;
const POOL = 'FCCONCURRENT';

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL, 'FCTWONUMBERS'], ownedPerCity: 0 });
  // One batch at a time: a batch held up by another is seen at once (the busy-order test).
  t = await startTestApp({ ...sim.env, DATABASE_POOL_SIZE: '10', BIND_BATCH_CONCURRENCY: '1' });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 3 });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

type SimBinding = {
  secretNo: string;
  phoneNoA: string;
  phoneNoB: string;
  live: boolean;
  poolKey: string;
};

/** Invariant 2 as the provider sees it and as our database holds it. */
async function expectNoSharedPartyOnAnyX(poolKey: string): Promise<void> {
  const remote = (await sim.control<SimBinding[]>('GET', `/bindings?poolKey=${poolKey}`)).filter(
    (b) => b.live,
  );
  const seen = new Set<string>();
  for (const b of remote) {
    for (const key of [`${b.secretNo}/A/${b.phoneNoA}`, `${b.secretNo}/B/${b.phoneNoB}`]) {
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
  }
  const dup = await t.app.get(PrismaService).$queryRawUnsafe<unknown[]>(
    `SELECT phone_x, phone_a FROM bindings WHERE state IN ('pending','active','unknown') AND pool_key = $1
      GROUP BY 1, 2 HAVING count(*) > 1
     UNION ALL
     SELECT phone_x, phone_b FROM bindings WHERE state IN ('pending','active','unknown') AND pool_key = $1
      GROUP BY 1, 2 HAVING count(*) > 1`,
    poolKey,
  );
  expect(dup).toEqual([]);
}

describe('concurrency', () => {
  it('100 identical concurrent binds for one order: one BindAxb, everyone gets the same binding', async () => {
    const body = {
      outId: `burst-${Date.now()}`,
      phoneA: '13800005555',
      phoneB: '13900005555',
      ttlSeconds: 3600,
    };
    const before = await sim.calls('BindAxb');
    const results = await Promise.all(
      Array.from({ length: 100 }, () => http<BindingView>('POST', `${t.url}/v1/bindings`, body)),
    );
    expect(await sim.calls('BindAxb')).toBe(before + 1);
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(99);
    expect(results.every((r) => r.body.state === 'active')).toBe(true);
  });

  it('50 binds of one passenger racing for a 2-number pool: exactly two win, one per X', async () => {
    const pool = 'FCTWONUMBERS';
    await http('PUT', `${t.url}/v1/pools/${pool}`, {});
    const bought = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${pool}/numbers`, {
      spec: 2,
      city: '杭州',
      count: 2,
    });
    expect(bought.body.bought).toHaveLength(2);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http<BindingView & { code?: string }>('POST', `${t.url}/v1/bindings`, {
          outId: `race-${Date.now()}-${i}`,
          poolKey: pool,
          phoneA: '13800006666',
          phoneB: `1390000${String(7000 + i)}`,
          ttlSeconds: 3600,
        }),
      ),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(2);
    expect(new Set(won.map((r) => r.body.phoneX))).toEqual(new Set(bought.body.bought));
    const lost = results.filter((r) => r.status !== 201);
    expect(lost.every((r) => r.status === 503 && r.body.code === 'NUMBERS_EXHAUSTED')).toBe(true);
    await expectNoSharedPartyOnAnyX(pool);
  });

  it('a bind waiting for an order another transaction holds does not hold up the next batch', async () => {
    const held = `held-${Date.now()}`;
    const lock = await t.app.get(PrismaService).pgPool.connect();
    let first: Promise<{ status: number }> | undefined;
    try {
      // As another instance placing the same order holds it (place_bindings()'s order lock).
      await lock.query('BEGIN');
      await lock.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `axb-order:${POOL}:${held}`,
      ]);
      first = http('POST', `${t.url}/v1/bindings`, {
        poolKey: POOL,
        outId: held,
        phoneA: '13700008881',
        phoneB: '13600008881',
        ttlSeconds: 3600,
      });
      // Its batch answered 'busy' and it now waits, alone, for the order's lock.
      for (;;) {
        const { rows } = await lock.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // With one batch at a time, this bind's batch must not wait behind that single placement.
      const other = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
        poolKey: POOL,
        outId: `free-${Date.now()}`,
        phoneA: '13700008882',
        phoneB: '13600008882',
        ttlSeconds: 3600,
      });
      expect(other.status).toBe(201);
      expect(other.body.state).toBe('active');
    } finally {
      await lock.query('COMMIT');
      lock.release();
    }
    expect((await first!).status).toBe(201);
  });

  it('50 binds of distinct pairs spread over the least-loaded numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http<BindingView>('POST', `${t.url}/v1/bindings`, {
          outId: `spread-${Date.now()}-${i}`,
          phoneA: `1370000${String(1000 + i)}`,
          phoneB: `1360000${String(1000 + i)}`,
          ttlSeconds: 3600,
        }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const perX = new Map<string, number>();
    for (const r of results) perX.set(r.body.phoneX!, (perX.get(r.body.phoneX!) ?? 0) + 1);
    expect(perX.size).toBe(3);
    await expectNoSharedPartyOnAnyX(POOL);
  });
});
