import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import type { RouteAnswer } from '../../src/routing/route-answer.js';
import { ExpirySweepJob } from '../../src/scheduler/expiry-sweep.job.js';
import { createDatabaseBefore } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

/**
 * Issue 21.5: a database migrated to the schema before the live/record split, filled with
 * bindings in every state (with their events, routed events and call records), is migrated to
 * the new one: every binding, event and call record is kept, and every live binding is still
 * live, routable and expirable.
 */
const SPLIT = '20261206120000_live_pairs_apart';
const POOL = 'FCUPGRADE';
/** Two numbers the simulator holds for the pool (its X1 and X2). */
let X1: string;
let X2: string;
const HOUR = 3_600_000;

let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;
let sim: TestSimulator;
let t: TestApp;
const clock = new TestClock();
const ids: Record<string, string> = {};

/** A binding as the old bind path placed it (place_binding() of the old schema), then set. */
async function oldBinding(
  name: string,
  a: string,
  b: string,
  x: string,
  set: { state: string; subsId?: string; ended?: boolean; reconcileAfter?: boolean } | null,
): Promise<string> {
  const { rows } = await sql.query<{ id: string; outcome: string }>(
    `SELECT outcome, id FROM place_binding($1, false, $2, 'upgrade-test', '{}'::jsonb, now(), $3,
                                           $4, $5, '杭州', false, $6, '{}', 200)`,
    [`order-${name}`, new Date(Date.now() + HOUR), POOL, a, b, x],
  );
  expect(rows[0]!.outcome).toBe('placed');
  const id = rows[0]!.id;
  if (set) {
    await sql.query(
      `UPDATE bindings SET state = $2::binding_state, subs_id = $3,
              ended_at = CASE WHEN $4 THEN now() END,
              reconcile_after = CASE WHEN $5 THEN now() END,
              reconcile_attempts = CASE WHEN $5 THEN 2 ELSE 0 END
        WHERE id = $1`,
      [id, set.state, set.subsId ?? null, set.ended ?? false, set.reconcileAfter ?? false],
    );
  }
  ids[name] = id;
  return id;
}

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 1 });
  const held = await sim.control<Array<{ secretNo: string; poolKey: string | null }>>(
    'GET',
    `/numbers?poolKey=${POOL}`,
  );
  [X1, X2] = held.map((n) => n.secretNo);
  expect(X2).toBeDefined();
  db = await createDatabaseBefore(SPLIT);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州'),
            ($1, $3, 2, '杭州')`,
    [POOL, X1, X2],
  );
  // Live: active, pending, unknown (answer lost), unbinding; ended: expired, unbound, failed, and
  // one that expired while open (its provider side still to be checked).
  await oldBinding('active', '13800000001', '13900000001', X1, { state: 'active', subsId: 'S1' });
  await oldBinding('pending', '13800000002', '13900000002', X1, null);
  await oldBinding('unknown', '13800000003', '13900000003', X1, { state: 'unknown' });
  await oldBinding('unbinding', '13800000004', '13900000004', X2, {
    state: 'unbinding',
    subsId: 'S4',
  });
  await oldBinding('expired', '13800000005', '13900000005', X2, {
    state: 'expired',
    subsId: 'S5',
    ended: true,
  });
  await oldBinding('unbound', '13800000006', '13900000006', X2, {
    state: 'unbound',
    subsId: 'S6',
    ended: true,
  });
  await oldBinding('failed', '13800000007', '13900000007', X2, { state: 'failed', ended: true });
  await oldBinding('openExpired', '13800000008', '13900000008', X2, {
    state: 'expired',
    ended: true,
    reconcileAfter: true,
  });
  // Two routed decisions of one kind and one refusal, as events; a call record and a progress stage.
  await sql.query(
    `INSERT INTO binding_events (binding_id, kind, actor, at, details) VALUES
       ($1, 'routed', 'apps', now() - interval '2 minutes',
        '{"status": 1, "source": "provider", "reason": "x-normal", "caller": "A"}'),
       ($1, 'routed', 'apps', now() - interval '1 minute',
        '{"status": 1, "source": "provider", "reason": "x-normal", "caller": "A"}'),
       ($1, 'routed', 'apps', now(), '{"refused": true, "reason": "not-a-party"}')`,
    [ids.active],
  );
  await sql.query(
    `INSERT INTO call_records (call_id, binding_id, sub_id, phone_no, peer_no, secret_no, call_type,
                               call_time, raw)
     VALUES ('call-1', $1, 'S1', '13800000001', '13900000001', $2, 0, now(), '{}')`,
    [ids.active, X1],
  );
  await sql.query(
    `INSERT INTO call_progress (call_id, stage, binding_id, at) VALUES ('call-1', 'started', $1, now())`,
    [ids.active],
  );
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
  await sql?.end();
  await db?.drop();
});

type Counts = { bindings: number; events: number; calls: number; progress: number };
async function counts(): Promise<Counts> {
  const { rows } = await sql.query<Counts>(
    `SELECT (SELECT count(*)::int FROM bindings) AS bindings,
            (SELECT count(*)::int FROM binding_events) AS events,
            (SELECT count(*)::int FROM call_records) AS calls,
            (SELECT count(*)::int FROM call_progress) AS progress`,
  );
  return rows[0]!;
}

describe('upgrading to the live/record split', () => {
  it('keeps every binding, event and call record; live ones stay live, routable and expirable', async () => {
    const before = await counts();
    const states = async () =>
      (await sql.query<{ id: string; state: string }>(`SELECT id, state::text FROM bindings`)).rows;
    const statesBefore = await states();

    const result = await db.upgrade();
    // The split, and whatever later migrations there are.
    expect(result.applied[0]).toBe(SPLIT);
    expect(result.applied.every((name) => name >= SPLIT)).toBe(true);
    expect(result.definitions.length).toBeGreaterThan(0);

    expect(await counts()).toEqual(before);
    expect((await states()).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      statesBefore.sort((a, b) => a.id.localeCompare(b.id)),
    );
    const pairs = await sql.query<{ binding_id: string }>(`SELECT binding_id FROM live_pairs`);
    expect(pairs.rows.map((r) => r.binding_id).sort()).toEqual(
      [ids.active, ids.pending, ids.unknown, ids.unbinding].sort(),
    );
    const queue = await sql.query<{ binding_id: string; attempts: number }>(
      `SELECT binding_id, attempts FROM reconcile_queue`,
    );
    expect(queue.rows.map((r) => r.binding_id).sort()).toEqual(
      [ids.pending, ids.unknown, ids.unbinding, ids.openExpired].sort(),
    );
    expect(queue.rows.find((r) => r.binding_id === ids.openExpired)?.attempts).toBe(2);
    const subs = await sql.query(`SELECT subs_id FROM binding_subscriptions ORDER BY subs_id`);
    expect(subs.rows.map((r) => r.subs_id)).toEqual(['S1', 'S4', 'S5', 'S6']);
    const routed = await sql.query<{ caller: string; outcome: string; count: string }>(
      `SELECT caller, outcome, count FROM routed_counts WHERE binding_id = $1 ORDER BY outcome`,
      [ids.active],
    );
    expect(routed.rows).toEqual([
      { caller: 'A', outcome: '1/provider/x-normal', count: '2' },
      { caller: 'other', outcome: 'refused/not-a-party', count: '1' },
    ]);

    // The migrated database serves: live bindings route, replay, hold their pairs and expire.
    t = await startTestApp(sim.env, { clock, databaseUrl: db.url });
    // The simulator never saw these bindings: with QueryCallStatus refused (a private action),
    // the lookup decides from what the migrated database holds.
    await sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const lookup = await http<RouteAnswer>('POST', `${t.url}/v1/routing/lookup`, {
      bindingId: ids.active,
      callerNo: '13800000001',
    });
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({
      action: 'dial',
      dial: X1,
      status: 1,
      source: 'local',
      bindingId: ids.active,
    });
    const replay = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      poolKey: POOL,
      outId: 'order-active',
      phoneA: '13800000001',
      phoneB: '13900000001',
      ttlSeconds: 3600,
    });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(ids.active);
    // A is still a party on X1: a new pair with A goes to the other number.
    const other = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      poolKey: POOL,
      outId: 'order-new',
      phoneA: '13800000001',
      phoneB: '13900000099',
      ttlSeconds: 3600,
    });
    expect(other.status).toBe(201);
    expect(other.body.phoneX).toBe(X2);

    clock.advance(2 * HOUR);
    const swept = await t.app.get(ExpirySweepJob).run();
    expect(swept).toMatchObject({ expired: 5 });
    const live = await sql.query(`SELECT count(*)::int AS n FROM live_pairs`);
    expect(live.rows[0]).toEqual({ n: 0 });
    const ended = await http<BindingView>('GET', `${t.url}/v1/bindings/${ids.active}`);
    expect(ended.body.state).toBe('expired');
  });
});
