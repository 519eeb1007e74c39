import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PROVIDER, type ProviderPort } from '../../src/provider/provider.port.js';
import { ExpirySweepJob } from '../../src/scheduler/expiry-sweep.job.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { SharedClock } from '../support/clocks.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Reconciliation against the simulator over HTTP, on a clock the test moves (shared with the
 * simulator's, so both agree on expiries). Nothing here waits for real time: the provider faults
 * used (dropped connections, forced codes) fail at once, so the provider timeout is generous and
 * a busy machine cannot turn a normal answer into a timeout. (It used to be 300 ms, which a loaded
 * machine exceeded on ordinary calls: binds became `unknown`, re-binds were deferred, and the
 * leftovers made the next tests' counts wrong.) Every test checks its own bindings, and whatever
 * a test leaves open is closed after it, so one failure cannot cascade.
 */
const POOL = 'FCSCHEDRECON';
const GRACE_MS = 60_000;
const BACKOFF_S = 60;
const BACKOFF_MAX_S = 240;
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let clock: SharedClock;
let one: TestApp;
let two: TestApp;
let numbers: string[];

type SimBinding = { subsId: string; outId: string | null; secretNo: string; live: boolean };
type ErrorBody = { code: string; details: { bindingId: string } };
type Event = { kind: string; actor: string; details: Record<string, unknown> };
type Row = { state: string; reconcile_attempts: number; reconcile_after: Date | null };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  clock = new SharedClock(sim);
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const env = {
    ...sim.env,
    PROVIDER_TIMEOUT_MS: '10000',
    SCHEDULER_RECONCILE_GRACE_SECONDS: '60',
    SCHEDULER_RECONCILE_BACKOFF_SECONDS: String(BACKOFF_S),
    SCHEDULER_RECONCILE_BACKOFF_MAX_SECONDS: String(BACKOFF_MAX_S),
  };
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
  await clock.level();
  // Nothing a test leaves open (after a failure, say) reaches the next one's runs.
  await sql.query(
    `UPDATE bindings SET state = 'failed', ended_at = now()
      WHERE state IN ('pending', 'unknown', 'unbinding')`,
  );
  await sql.query(`DELETE FROM reconcile_queue`);
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
const row = async (id: string) =>
  (
    await sql.query<Row>(
      // Reconciliation's bookkeeping lives in reconcile_queue: read as the columns it once was.
      `SELECT b.state::text, coalesce(q.attempts, 0) AS reconcile_attempts,
              CASE WHEN q.binding_id IS NULL THEN NULL
                   WHEN NOT binding_state_open(b.state) THEN coalesce(q.next_at, q.since)
                   ELSE q.next_at END AS reconcile_after
         FROM bindings b LEFT JOIN reconcile_queue q ON q.binding_id = b.id WHERE b.id = $1`,
      [id],
    )
  ).rows[0]!;
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
    await clock.forward(GRACE_MS + 1000);
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
    await clock.forward(GRACE_MS + 1000);
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

    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
    const settled = await get(id);
    expect(settled.state).toBe('active');
    const [remote] = await atProvider(body.outId);
    expect(settled.subsId).toBe((remote as { subsId: string }).subsId);
    expect(reconciledEvents(settled)).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ decision: 'active', via: 'lookup' }),
      }),
    ]);
    expect(await atProvider(body.outId)).toHaveLength(1);
    // Settled: a replay returns it and binds nothing new; it can be unbound at trip end.
    expect((await bind(body)).body.id).toBe(id);
    expect((await http('DELETE', `${one.url}/v1/bindings/${id}`)).status).toBe(200);
    expect(await atProvider(body.outId)).toHaveLength(0);
  });

  it('never gives up when the lookup after a conflict fails: retried after a backoff, then active (nothing is "held")', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1, afterProcessing: true });
    // The re-bind meets the conflict; QuerySubsId then fails on every attempt (retries included).
    await sim.control('POST', '/faults', {
      action: 'QuerySubsId',
      code: 'isp.SYSTEM_ERROR',
      count: 1000,
    });
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect(await row(id)).toMatchObject({ state: 'unknown', reconcile_attempts: 1 });
    const next = (await row(id)).reconcile_after!.getTime() - clock.now().getTime();
    expect(next).toBeGreaterThan((BACKOFF_S - 5) * 1000);
    expect(next).toBeLessThanOrEqual(BACKOFF_S * 1000);

    // Not before its backoff has passed; then again (still failing): the wait doubles.
    expect(await reconcile()).toMatchObject({ found: 0 });
    await clock.forward(BACKOFF_S * 1000);
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect(await row(id)).toMatchObject({ state: 'unknown', reconcile_attempts: 2 });
    const second = (await row(id)).reconcile_after!.getTime() - clock.now().getTime();
    expect(second).toBeGreaterThan((2 * BACKOFF_S - 5) * 1000);

    // Waiting, it is counted: GET /v1/admin/operations shows it and its age.
    const ops = await http<{ reconciliation: { awaiting: number; due: number; binds: number } }>(
      'GET',
      `${one.url}/v1/admin/operations`,
    );
    expect(ops.body.reconciliation).toMatchObject({ awaiting: 1, due: 0, binds: 1 });

    await sim.control('DELETE', '/faults');
    await clock.forward(BACKOFF_MAX_S * 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
    expect(await row(id)).toMatchObject({ state: 'active', reconcile_attempts: 0 });
    expect(await atProvider(body.outId)).toHaveLength(1);
    expect((await get(id)).subsId).toBe((await atProvider(body.outId))[0]!.subsId);
  });

  it('caps the backoff at its maximum however long the provider fails', async () => {
    const { id } = await bindWithLostAnswer({ drop: 1 });
    await fault({ code: 'isp.SYSTEM_ERROR', count: 1000 });
    const waits: number[] = [];
    await clock.forward(GRACE_MS + 1000);
    for (let i = 0; i < 5; i += 1) {
      expect(await reconcile()).toMatchObject({ deferred: 1 });
      const after = (await row(id)).reconcile_after!.getTime();
      waits.push(Math.round((after - clock.now().getTime()) / 1000));
      await clock.forward(after - clock.now().getTime());
    }
    expect(waits).toEqual([60, 120, 240, 240, 240]);
    expect((await row(id)).reconcile_attempts).toBe(5);
    await sim.control('DELETE', '/faults');
    expect(await reconcile()).toMatchObject({ active: 1 });
  });
});

describe('reconciling bindings a crash left pending', () => {
  it('leaves a pending bind alone during the grace period (it may still be in flight)', async () => {
    const { id } = await crashedPending(false);
    expect(await reconcile()).toMatchObject({ found: 0 });
    expect((await get(id)).state).toBe('pending');
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
  });

  it('two instances reconcile at once: each binding decided once, one provider binding each', async () => {
    const created = await Promise.all([
      crashedPending(true, numbers[0]),
      crashedPending(false, numbers[1]),
    ]);
    await clock.forward(GRACE_MS + 1000);
    const [a, b] = await Promise.all([reconcile(one), reconcile(two)]);
    expect(a.active! + b.active!).toBe(2);
    expect(a.deferred! + b.deferred!).toBe(0);
    for (const { id, body } of created) {
      expect(reconciledEvents(await get(id))).toHaveLength(1);
      expect(await atProvider(body.outId)).toHaveLength(1);
    }
    expect((await get(created[0]!.id)).state).toBe('active');
    expect((await get(created[1]!.id)).state).toBe('active');
  });

  it('fails a bind the provider refuses outright (X not in the pool there)', async () => {
    const { id, body } = await crashedPending(false, '13099990000');
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ failed: 1 });
    const failed = await get(id);
    expect(failed.state).toBe('failed');
    expect(reconciledEvents(failed)[0]!.details).toMatchObject({
      decision: 'failed',
      providerCode: 'isv.NO_NOT_EXIST',
    });
    expect(await atProvider(body.outId)).toHaveLength(0);
  });

  it('defers when the re-bind itself fails, and settles once its backoff has passed', async () => {
    const { id } = await crashedPending(false);
    await clock.forward(GRACE_MS + 1000);
    await fault({ drop: 1 });
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect((await get(id)).state).toBe('pending');
    expect(await reconcile()).toMatchObject({ found: 0 });
    await clock.forward(BACKOFF_S * 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
  });
});

describe('reconciling with a SubsId (QuerySubscriptionDetail decides)', () => {
  async function unknownWithSubsId(subsId?: string, ttlSeconds = 3600) {
    const res = await bind({ ...order(), ttlSeconds });
    expect(res.status).toBe(201);
    await sql.query(
      `UPDATE bindings SET state = 'unknown', subs_id = coalesce($2, subs_id) WHERE id = $1`,
      [res.body.id, subsId ?? null],
    );
    return res.body;
  }

  it('in effect at the provider: active', async () => {
    const b = await unknownWithSubsId();
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ active: 1 });
    const after = await get(b.id);
    expect(after).toMatchObject({ state: 'active', subsId: b.subsId });
    expect(reconciledEvents(after)[0]!.details).toMatchObject({ decision: 'active', via: 'query' });
  });

  it('unknown to the provider: failed', async () => {
    const b = await unknownWithSubsId('9999999999999999');
    await clock.forward(GRACE_MS + 1000);
    expect(await reconcile()).toMatchObject({ failed: 1 });
    expect((await get(b.id)).state).toBe('failed');
  });
});

describe('bindings that expire while their provider side is open', () => {
  it('expires them at once, then checks the provider: nothing live there', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1, afterProcessing: true });
    expect(await atProvider(body.outId)).toHaveLength(1);
    // Both clocks pass the expiry: the provider has ended its side on its own.
    await clock.forward(3601_000);
    expect(await one.app.get(ExpirySweepJob).run()).toMatchObject({ unknown: 1 });
    expect(await row(id)).toMatchObject({ state: 'expired' });
    expect((await row(id)).reconcile_after).not.toBeNull();
    expect(await reconcile()).toMatchObject({ checked: 1 });
    expect(await row(id)).toMatchObject({ state: 'expired', reconcile_after: null });
    expect(reconciledEvents(await get(id))[0]!.details).toMatchObject({
      decision: 'gone',
      unboundNow: false,
    });
    expect(await atProvider(body.outId)).toHaveLength(0);
  });

  it('unbinds at the provider what is still live there after our expiry', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1, afterProcessing: true });
    // Only our clock passes the expiry: the provider still holds the binding live.
    await clock.forward(3601_000, { serviceOnly: true });
    expect(await one.app.get(ExpirySweepJob).run()).toMatchObject({ unknown: 1 });
    expect(await atProvider(body.outId)).toHaveLength(1);
    expect(await reconcile()).toMatchObject({ checked: 1 });
    expect(reconciledEvents(await get(id))[0]!.details).toMatchObject({
      decision: 'gone',
      unboundNow: true,
    });
    expect(await atProvider(body.outId)).toHaveLength(0);
    expect(await row(id)).toMatchObject({ state: 'expired', reconcile_after: null });
  });

  it('keeps checking when the provider cannot be asked, with backoff', async () => {
    const { body, id } = await bindWithLostAnswer({ drop: 1, afterProcessing: true });
    await clock.forward(3601_000, { serviceOnly: true });
    await one.app.get(ExpirySweepJob).run();
    await sim.control('POST', '/faults', {
      action: 'QuerySubsId',
      code: 'isp.SYSTEM_ERROR',
      count: 1000,
    });
    expect(await reconcile()).toMatchObject({ deferred: 1 });
    expect(await row(id)).toMatchObject({ state: 'expired', reconcile_attempts: 1 });
    await sim.control('DELETE', '/faults');
    await clock.forward(BACKOFF_S * 1000, { serviceOnly: true });
    expect(await reconcile()).toMatchObject({ checked: 1 });
    expect(await atProvider(body.outId)).toHaveLength(0);
  });
});
