import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PROVIDER, type ProviderPort } from '../../src/provider/provider.port.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCSCHEDRECON';
const GRACE_MS = 60_000;
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
const clock = new TestClock();
let one: TestApp;
let two: TestApp;
let numbers: string[];

type SimBinding = { subsId: string; outId: string | null; secretNo: string; live: boolean };
type ErrorBody = { code: string; details: { bindingId: string } };
type Event = { kind: string; actor: string; details: Record<string, unknown> };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const env = { ...sim.env, PROVIDER_TIMEOUT_MS: '300', SCHEDULER_RECONCILE_GRACE_SECONDS: '60' };
  one = await startTestApp(env, { clock, databaseUrl: db.url });
  two = await startTestApp(env, { clock, databaseUrl: db.url });
  const bought = await http<{ bought: string[] }>('POST', `${one.url}/v1/pools/${POOL}/numbers`, {
    spec: 2,
    city: '杭州',
    count: 3,
  });
  numbers = bought.body.bought;
});
afterEach(async () => {
  await sim.control('DELETE', '/faults');
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

let seq = 0;
const order = () => {
  seq += 1;
  return {
    poolKey: POOL,
    outId: `rec-${seq}`,
    phoneA: `1380002${String(seq).padStart(4, '0')}`,
    phoneB: `1390002${String(seq).padStart(4, '0')}`,
    ttlSeconds: 3600,
  };
};
const bind = (body: object) =>
  http<BindingView & ErrorBody>('POST', `${one.url}/v1/bindings`, body);
const get = async (id: string) =>
  (await http<BindingView & { events: Event[] }>('GET', `${one.url}/v1/bindings/${id}`)).body;
const fault = (body: object) => sim.control('POST', '/faults', { action: 'BindAxb', ...body });
const atProvider = async (outId: string) =>
  (await sim.control<SimBinding[]>('GET', `/bindings?poolKey=${POOL}`)).filter(
    (b) => b.outId === outId && b.live,
  );
const reconcile = (t: TestApp = one) => t.app.get(ReconciliationJob).run();
const reconciledEvents = (b: { events: Event[] }) =>
  b.events.filter((e) => e.kind === 'reconciled');

/** A bind whose answer was lost: the call fails with an unknown outcome (502/504). */
async function bindWithLostAnswer(faultBody: object) {
  const body = order();
  await fault(faultBody);
  const res = await bind(body);
  expect(res.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
  const id = res.body.details.bindingId;
  expect((await get(id)).state).toBe('unknown');
  return { body, id };
}

/**
 * A binding a killed instance left pending on X (row written, provider call maybe sent, no
 * answer): written as BindService writes it, optionally created at the provider too.
 */
async function crashedPending(createdAtProvider: boolean, phoneX = numbers[2]!) {
  const body = order();
  const expiresAt = new Date(clock.now().getTime() + 3600_000);
  if (createdAtProvider) {
    await one.app
      .get<ProviderPort>(PROVIDER)
      .bindAxb({ ...body, phoneX, expiresAt, outId: body.outId });
  }
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, city, state,
                           expires_at, created_at, updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, '杭州', 'pending', $6, $7, $7) RETURNING id`,
    [POOL, body.outId, body.phoneA, body.phoneB, phoneX, expiresAt, clock.now()],
  );
  return { body, id: rows[0]!.id };
}

describe('reconciling a bind whose answer was lost (no SubsId)', () => {
  it('provider did not bind (connection dropped before processing): re-bound, active', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1 });
    expect(await atProvider(body.outId)).toHaveLength(0);

    // Within the grace period nothing is touched.
    expect(await reconcile()).toMatchObject({ found: 0 });
    clock.advance(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });

    const settled = await get(id);
    const provider = await atProvider(body.outId);
    expect(provider).toHaveLength(1);
    expect(settled).toMatchObject({ state: 'active', subsId: provider[0]!.subsId });
    expect(settled.phoneX).toBe(provider[0]!.secretNo);
    expect(reconciledEvents(settled)).toEqual([
      expect.objectContaining({
        actor: 'scheduler',
        details: expect.objectContaining({ decision: 'active', via: 'rebind', from: 'unknown' }),
      }),
    ]);
  });

  it('provider did not bind (a provider fault code): re-bound, active', async () => {
    const { body, id } = await bindWithLostAnswer({ code: 'isp.SYSTEM_ERROR', count: 1 });
    clock.advance(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
    expect((await get(id)).state).toBe('active');
    expect(await atProvider(body.outId)).toHaveLength(1);
  });

  it('provider bound (answer lost after processing): found through QuerySubsId, active, exactly one provider binding', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1, afterProcessing: true });
    expect(await atProvider(body.outId)).toHaveLength(1);
    // The order service replays meanwhile: the same binding, no second provider call.
    const replay = await bind(body);
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(id);

    clock.advance(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
    const settled = await get(id);
    expect(settled.state).toBe('active');
    const [remote] = await atProvider(body.outId);
    expect(settled.subsId).toBe((remote as { subsId: string }).subsId);
    expect(reconciledEvents(settled)).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ decision: 'active' }) }),
    ]);
    expect(await atProvider(body.outId)).toHaveLength(1);
    // Settled: a replay returns it and binds nothing new; it can be unbound at trip end.
    expect((await bind(body)).body.id).toBe(id);
    expect((await http('DELETE', `${one.url}/v1/bindings/${id}`)).status).toBe(200);
    expect(await atProvider(body.outId)).toHaveLength(0);
  });
});

describe('reconciling bindings a crash left pending', () => {
  it('leaves a pending bind alone during the grace period (it may still be in flight)', async () => {
    const { id } = await crashedPending(false);
    expect(await reconcile()).toMatchObject({ found: 0 });
    expect((await get(id)).state).toBe('pending');
    clock.advance(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
  });

  it('two instances reconcile at once: each binding decided once, one provider binding each', async () => {
    const created = await Promise.all([
      crashedPending(true, numbers[0]),
      crashedPending(false, numbers[1]),
    ]);
    clock.advance(GRACE_MS + 1000);
    const [a, b] = await Promise.all([reconcile(one), reconcile(two)]);
    expect(a.active! + b.active!).toBe(2);
    expect(a.held! + b.held!).toBe(0);
    for (const { id, body } of created) {
      expect(reconciledEvents(await get(id))).toHaveLength(1);
      expect(await atProvider(body.outId)).toHaveLength(1);
    }
    expect((await get(created[0]!.id)).state).toBe('active');
    expect((await get(created[1]!.id)).state).toBe('active');
  });

  it('fails a bind the provider refuses outright (X not in the pool there)', async () => {
    const { id, body } = await crashedPending(false, '13099990000');
    clock.advance(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ failed: 1 });
    const failed = await get(id);
    expect(failed.state).toBe('failed');
    expect(reconciledEvents(failed)[0]!.details).toMatchObject({
      decision: 'failed',
      providerCode: 'isv.NO_NOT_EXIST',
    });
    expect(await atProvider(body.outId)).toHaveLength(0);
  });

  it('defers when the re-bind itself times out, and settles on the next run', async () => {
    const { id } = await crashedPending(false);
    clock.advance(GRACE_MS + 1000);
    await fault({ drop: 1 });
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect((await get(id)).state).toBe('pending');
    expect(await reconcile()).toMatchObject({ active: 1 });
  });
});

describe('reconciling with a SubsId (QuerySubscriptionDetail decides)', () => {
  async function unknownWithSubsId(subsId?: string) {
    const res = await bind(order());
    expect(res.status).toBe(201);
    await sql.query(
      `UPDATE bindings SET state = 'unknown', subs_id = coalesce($2, subs_id) WHERE id = $1`,
      [res.body.id, subsId ?? null],
    );
    clock.advance(GRACE_MS + 1000);
    return res.body;
  }

  it('in effect at the provider: active', async () => {
    const b = await unknownWithSubsId();
    expect(await reconcile()).toMatchObject({ active: 1 });
    const after = await get(b.id);
    expect(after).toMatchObject({ state: 'active', subsId: b.subsId });
    expect(reconciledEvents(after)[0]!.details).toMatchObject({ decision: 'active', via: 'query' });
  });

  it('unknown to the provider: failed', async () => {
    const b = await unknownWithSubsId('9999999999999999');
    expect(await reconcile()).toMatchObject({ failed: 1 });
    expect((await get(b.id)).state).toBe('failed');
  });
});
