import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ExpirySweepJob } from '../../src/scheduler/expiry-sweep.job.js';
import { HistoryJob } from '../../src/scheduler/history.job.js';
import { createDatabaseBefore } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

/**
 * Issue 22: a database of the unpartitioned record, with bindings under random v4 ids (one of
 * them, by chance, inside the current month's id range), their events, calls, counters and
 * SubsIds, is migrated to the partitioned one: nothing is lost, the old rows are in the DEFAULT
 * partitions, the months made by the migration take the one in range (with what followed it),
 * and the live binding stays live and expirable.
 */
const PARTITIONED = '20261207020000_history_partitions';
const POOL = 'FCUPGRADEHIST';
const HOUR = 3_600_000;
const X = '17000099001';

let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;
let sim: TestSimulator;
let t: TestApp;
const clock = new TestClock();

/** A v4 id whose first 48 bits fall in the current month (as ~1 in 10^5 random ids do). */
function idInThisMonth(): string {
  const hex = Date.now().toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4abc-8def-0123456789ab`;
}
const ENDED = 'c0ffee00-0000-4000-8000-000000000001';
const LIVE = idInThisMonth();

async function oldBinding(id: string, out: string, state: string, ended: boolean) {
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at, created_at, updated_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::binding_state, $9, now(), now(),
             CASE WHEN $10 THEN now() END)`,
    [
      id,
      POOL,
      out,
      `138${out.slice(-8)}`,
      `139${out.slice(-8)}`,
      X,
      `S-${out}`,
      state,
      new Date(Date.now() + HOUR),
      ended,
    ],
  );
  await sql.query(
    `INSERT INTO binding_events (binding_id, kind, actor, at, details)
     VALUES ($1, 'created', 'upgrade-test', now(), '{}'), ($1, 'bound', 'bind', now(), '{}')`,
    [id],
  );
  await sql.query(
    `INSERT INTO binding_subscriptions (subs_id, binding_id, learnt_at) VALUES ($1, $2, now())`,
    [`S-${out}`, id],
  );
  await sql.query(
    `INSERT INTO routed_counts (binding_id, caller, outcome, count, first_at, last_at)
     VALUES ($1, 'A', '1/local/ok', 3, now(), now())`,
    [id],
  );
  await sql.query(
    `INSERT INTO call_records (call_id, binding_id, phone_no, peer_no, received_at, raw)
     VALUES ($1, $2, '13800000000', '13900000000', now(), '{}')`,
    [`call-${out}`, id],
  );
}

const count = async (table: string, key: string, id: string) =>
  (
    await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${key} = $1`, [
      id,
    ])
  ).rows[0]!.n;
const where = async (table: string, key: string, id: string) =>
  (
    await sql.query<{ p: string }>(
      `SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${key} = $1`,
      [id],
    )
  ).rows.map((r) => r.p);

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createDatabaseBefore(PARTITIONED);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州')`,
    [POOL, X],
  );
  await oldBinding(ENDED, 'order-00000001', 'expired', true);
  await oldBinding(LIVE, 'order-00000002', 'active', false);
  await sql.query(
    `INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
     SELECT id, pool_key, out_id, phone_x, phone_a, phone_b, expires_at FROM bindings WHERE id = $1`,
    [LIVE],
  );
  await db.upgrade();
  t = await startTestApp(sim.env, { clock, databaseUrl: db.url });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

describe('upgrading to the partitioned record', () => {
  it('keeps every row in the DEFAULT partitions, but the one in a month range moved there', async () => {
    // The months exist already (made when the definitions were applied): the job adds none.
    expect(await t.app.get(HistoryJob).run()).toMatchObject({ created: 0, outsidePartitions: 0 });
    const month = `${new Date().getUTCFullYear()}_${String(new Date().getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await where('bindings', 'id', LIVE)).toEqual([`bindings_p${month}`]);
    expect(await where('binding_events', 'binding_id', LIVE)).toEqual([`binding_events_p${month}`]);
    expect(await where('call_records', 'binding_id', LIVE)).toEqual([`call_records_p${month}`]);
    expect(await where('bindings', 'id', ENDED)).toEqual(['bindings_default']);
    // The one a month took is recorded as old: retention decides it by its own times.
    const legacy = await sql.query<{ binding_id: string }>(
      'SELECT binding_id FROM history_legacy_bindings',
    );
    expect(legacy.rows.map((r) => r.binding_id)).toEqual([LIVE]);
    for (const id of [ENDED, LIVE]) {
      for (const [table, n] of [
        ['binding_events', 2],
        ['routed_counts', 1],
        ['binding_subscriptions', 1],
        ['call_records', 1],
      ] as const) {
        expect(await count(table, 'binding_id', id), `${table} of ${id}`).toBe(n);
      }
      const read = await http<BindingView & { events: unknown[]; calls: unknown[] }>(
        'GET',
        `${t.url}/v1/bindings/${id}`,
      );
      expect(read.status).toBe(200);
      expect(read.body.events).toHaveLength(2);
      expect(read.body.calls).toHaveLength(1);
    }
  });

  it('the old live binding is still live, then expires', async () => {
    expect(await count('live_pairs', 'binding_id', LIVE)).toBe(1);
    clock.advance(HOUR + 1000);
    expect(await t.app.get(ExpirySweepJob).run()).toMatchObject({ expired: 1 });
    const read = await http<BindingView>('GET', `${t.url}/v1/bindings/${LIVE}`);
    expect(read.body.state).toBe('expired');
    expect(await count('live_pairs', 'binding_id', LIVE)).toBe(0);
  });
});
