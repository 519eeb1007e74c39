import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PlacementRepository, type Placement } from '../../src/bindings/placement.repository.js';
import { SettlementRepository } from '../../src/bindings/settlement.repository.js';
import { XClaimService } from '../../src/inventory/x-claim.service.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { readBindRounds } from '../../bench/support/bind-rounds.js';
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

/** The bind rounds counted so far (axb_bind_round_*). */
const rounds = () => readBindRounds(t.app.get(MetricsService));

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

  it("a bind's two rounds are in the metrics (axb_bind_round_*)", async () => {
    const before = await rounds();
    const res = await bind('round-trips-metrics', { phoneA: '13800000005', phoneB: '13900000005' });
    expect(res.status).toBe(201);
    const after = await rounds();
    // The placement's round and the settle's, one item each; each item's wait, each round's time.
    expect({
      rounds: after.rounds - before.rounds,
      items: after.items - before.items,
      waits: after.waits - before.waits,
      durations: after.durations - before.durations,
    }).toEqual({ rounds: 2, items: 2, waits: 2, durations: 2 });
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

  it('a settle and a placement that arrive together share one statement and one commit', async () => {
    const placements = t.app.get(PlacementRepository);
    const claims = t.app.get(XClaimService);
    const origin = { actor: 'test', details: {} };
    const scope = { group: 'test', all: true };
    const pending = (outId: string, a: string, b: string) =>
      placements.place(
        { outId, record: false, expiresAt: new Date(Date.now() + 3_600_000) },
        claims.terms({ poolKey: POOL, phoneA: a, phoneB: b, cityStrict: false }),
        origin,
        scope,
        new Date(),
      );
    const first = (await pending('round-trips-3', '13800000003', '13900000003')) as Placement & {
      kind: 'placed';
    };
    expect(first.kind).toBe('placed');

    const counter = countQueries();
    const before = await rounds();
    // BindAxb's answer for the first, and a new bind, in the same turn of the event loop.
    const [settled, second] = await Promise.all([
      placements.bound({ id: first.binding.id, subsId: 'subs-round-3', origin, now: new Date() }),
      pending('round-trips-4', '13800000004', '13900000004'),
    ]);
    const statements = counter.stop();
    expect(statements).toEqual(['binding-round']);
    const after = await rounds();
    expect([after.rounds - before.rounds, after.items - before.items]).toEqual([1, 2]);
    expect(settled?.state).toBe('active');
    expect(settled?.subsId).toBe('subs-round-3');
    expect(second.kind).toBe('placed');
    const row = await t.app.get(PrismaService).pgPool.query<{ state: string; kinds: string[] }>(
      `SELECT b.state, ARRAY(SELECT kind FROM binding_events e WHERE e.binding_id = b.id
                                ORDER BY e.id) AS kinds
           FROM bindings b WHERE b.id = $1`,
      [first.binding.id],
    );
    expect(row.rows[0]).toEqual({ state: 'active', kinds: ['created', 'bound'] });
    // The second was never sent to the provider: it ends failed (nothing to reconcile).
    if (second.kind === 'placed') {
      await t.app
        .get(SettlementRepository)
        .unsettled(second.binding.id, 'failed', origin, new Date());
    }
  });
});
