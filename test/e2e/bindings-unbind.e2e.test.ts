import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { SharedClock } from '../support/clocks.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * Unbind always works (invariant 4): DELETE records the intent first (`unbinding`), routes no call
 * from then on, keeps the order's outId and pairs so a replay cannot bind it again, and ends the
 * provider side at once or through reconciliation, ending `unbound`.
 */
const POOL = 'FCUNBIND';
const GRACE_MS = 60_000;
let sim: TestSimulator;
let clock: SharedClock;
let t: TestApp;
let sql: pg.Client;

type Event = { kind: string; actor: string; details: Record<string, unknown> };
type Binding = BindingView & { events: Event[] };
type ErrorBody = { code: string; details: { bindingId: string } };
type SimBinding = { subsId: string; outId: string | null; live: boolean };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  clock = new SharedClock(sim);
  t = await startTestApp(
    { ...sim.env, PROVIDER_TIMEOUT_MS: '10000', SCHEDULER_RECONCILE_GRACE_SECONDS: '60' },
    { clock },
  );
  sql = new pg.Client({ connectionString: t.config.database.url });
  await sql.connect();
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
});
afterEach(async () => {
  await sim.control('DELETE', '/faults');
});
afterAll(async () => {
  await sql?.end();
  await t?.close();
  await sim?.close();
});

let seq = 0;
const order = () => {
  seq += 1;
  return {
    poolKey: POOL,
    outId: `unbind-${seq}`,
    phoneA: `1380003${String(seq).padStart(4, '0')}`,
    phoneB: `1390003${String(seq).padStart(4, '0')}`,
    ttlSeconds: 3600,
  };
};
const bind = (body: object) => http<Binding & ErrorBody>('POST', `${t.url}/v1/bindings`, body);
const unbind = (id: string) => http<Binding>('DELETE', `${t.url}/v1/bindings/${id}`);
const get = async (id: string) => (await http<Binding>('GET', `${t.url}/v1/bindings/${id}`)).body;
const kinds = async (id: string) => (await get(id)).events.map((e) => e.kind);
const fault = (body: object) => sim.control('POST', '/faults', body);
const liveAtProvider = async (outId: string) =>
  (await sim.control<SimBinding[]>('GET', `/bindings?poolKey=${POOL}`)).filter(
    (b) => b.outId === outId && b.live,
  );
const lookup = (b: { id: string; phoneA: string }) =>
  http<{ code: string }>('POST', `${t.url}/v1/routing/lookup`, {
    bindingId: b.id,
    callerNo: b.phoneA,
  });
const reconcile = () => t.app.get(ReconciliationJob).run();

describe('DELETE of an active binding', () => {
  it('unbinds at the provider and answers 200 unbound', async () => {
    const b = (await bind(order())).body;
    const res = await unbind(b.id);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('unbound');
    expect(await liveAtProvider(b.outId)).toHaveLength(0);
    expect(await kinds(b.id)).toEqual(['created', 'bound', 'unbind_requested', 'unbound']);
  });

  it.each([
    ['loses its answer after unbinding', { drop: 1, afterProcessing: true }],
    ['drops the connection before unbinding', { drop: 1 }],
    ['answers a provider fault', { code: 'isp.SYSTEM_ERROR', count: 1 }],
    ['answers HTML 502', { httpStatus: 502, body: '<html>Bad Gateway</html>', count: 1 }],
  ])(
    'answers 202 unbinding when UnbindSubscription %s; routes nothing; reconciliation ends it',
    async (_what, f) => {
      const b = (await bind(order())).body;
      await fault({ action: 'UnbindSubscription', ...f });
      const res = await unbind(b.id);
      expect(res.status).toBe(202);
      expect(res.body.state).toBe('unbinding');
      expect(await kinds(b.id)).toEqual(['created', 'bound', 'unbind_requested', 'unbind_failed']);
      // From now on it routes no call, and a replay gets it back instead of a new binding.
      expect((await lookup(b)).status).toBe(403);
      const replay = await bind({ ...order(), outId: b.outId, phoneA: b.phoneA, phoneB: b.phoneB });
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ id: b.id, state: 'unbinding' });

      await sim.control('DELETE', '/faults');
      await clock.forward(GRACE_MS + 1000);
      expect(await reconcile()).toMatchObject({ unbound: 1 });
      expect((await get(b.id)).state).toBe('unbound');
      expect(await liveAtProvider(b.outId)).toHaveLength(0);
      // Ended: DELETE again is a 200 that changes nothing.
      expect((await unbind(b.id)).status).toBe(200);
    },
  );
});

describe('DELETE of a binding whose bind outcome is open', () => {
  it('unknown, the provider did bind: 202; reconciliation finds it on X and unbinds it', async () => {
    const body = order();
    await fault({ action: 'BindAxb', drop: 1, afterProcessing: true });
    const lost = await bind(body);
    expect(lost.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    const id = lost.body.details.bindingId;
    expect(await liveAtProvider(body.outId)).toHaveLength(1);

    const res = await unbind(id);
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('unbinding');
    const binds = await sim.calls('BindAxb');
    const replay = await bind(body);
    expect(replay.body).toMatchObject({ id, state: 'unbinding' });
    expect(await sim.calls('BindAxb')).toBe(binds);

    // Within the grace period it is left alone (a late bind may still land); after, ended.
    expect(await reconcile()).toMatchObject({ found: 0 });
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ unbound: 1 });
    const done = await get(id);
    expect(done.state).toBe('unbound');
    expect(done.subsId).not.toBeNull();
    expect(done.events.at(-1)).toMatchObject({
      kind: 'unbound',
      actor: 'scheduler',
      details: { unboundNow: true },
    });
    expect(await liveAtProvider(body.outId)).toHaveLength(0);
    // No re-bind was sent to learn it: the order asked to unbind.
    expect(await sim.calls('BindAxb')).toBe(binds);
  });

  it('unknown, the provider never bound: 202, then unbound with nothing to unbind', async () => {
    const body = order();
    await fault({ action: 'BindAxb', drop: 1 });
    const lost = await bind(body);
    const id = lost.body.details.bindingId;
    expect((await unbind(id)).status).toBe(202);
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ unbound: 1 });
    expect((await get(id)).events.at(-1)).toMatchObject({
      kind: 'unbound',
      details: { unboundNow: false, subsId: null },
    });
    expect(await liveAtProvider(body.outId)).toHaveLength(0);
  });

  it('retries when the lookup fails during reconciliation, and ends it later', async () => {
    const body = order();
    await fault({ action: 'BindAxb', drop: 1, afterProcessing: true });
    const id = (await bind(body)).body.details.bindingId;
    expect((await unbind(id)).status).toBe(202);
    await fault({ action: 'QuerySubsId', code: 'isp.SYSTEM_ERROR', count: 1000 });
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect((await get(id)).state).toBe('unbinding');
    await sim.control('DELETE', '/faults');
    await clock.forward(900_000);
    expect(await reconcile()).toMatchObject({ unbound: 1 });
    expect(await liveAtProvider(body.outId)).toHaveLength(0);
  });

  it('a bind still in flight here: its settle records the SubsId, stays unbinding, and unbinds at once', async () => {
    const body = order();
    // The answer takes 3 s: far longer than the DELETE below needs, even on a loaded machine.
    await fault({ action: 'BindAxb', latencyMs: 3000, count: 1 });
    const inFlight = bind(body);
    const { rows } = await until(
      () => sql.query<{ id: string }>(`SELECT id FROM bindings WHERE out_id = $1`, [body.outId]),
      (r) => r.rows.length === 1,
      'the pending row of the bind in flight',
    );
    const id = rows[0]!.id;
    const res = await unbind(id);
    expect(res.body.state, 'the DELETE must land while the bind is in flight').toBe('unbinding');
    expect(res.status).toBe(202);
    // The bind's answer: it never flipped back to active; it is unbound now.
    const bound = await inFlight;
    expect(bound.status).toBe(201);
    expect(bound.body.state).toBe('unbound');
    const done = await get(id);
    expect(done.state).toBe('unbound');
    expect(done.subsId).not.toBeNull();
    expect(done.events.map((e) => e.kind)).toEqual([
      'created',
      'unbind_requested',
      'bound',
      'unbound',
    ]);
    expect(await liveAtProvider(body.outId)).toHaveLength(0);
  });
});

describe('an unbinding binding', () => {
  it('routes no call and keeps its order and pairs (a replay never resurrects it)', async () => {
    const b = (await bind(order())).body;
    await fault({ action: 'UnbindSubscription', code: 'isp.SYSTEM_ERROR', count: 1 });
    expect((await unbind(b.id)).status).toBe(202);
    const route = await lookup(b);
    expect(route.status).toBe(403);
    expect(route.body.code).toBe('ROUTE_FORBIDDEN');
    // The same parties on the same X are still taken: a pinned bind of another order is refused.
    const other = await bind({ ...order(), phoneA: b.phoneA, phoneX: b.phoneX });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('X_UNAVAILABLE');
    // Unbind is repeatable while it lasts: the next DELETE tries the provider again.
    const again = await unbind(b.id);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('unbound');
    expect(await liveAtProvider(b.outId)).toHaveLength(0);
  });

  it('cannot be changed (409)', async () => {
    const b = (await bind(order())).body;
    await fault({ action: 'UnbindSubscription', code: 'isp.SYSTEM_ERROR', count: 1 });
    expect((await unbind(b.id)).status).toBe(202);
    const res = await http<{ code: string }>('PATCH', `${t.url}/v1/bindings/${b.id}`, {
      ttlSeconds: 7200,
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('BINDING_NOT_LIVE');
  });
});
