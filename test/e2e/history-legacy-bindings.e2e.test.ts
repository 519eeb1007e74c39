import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHistoryApp, type HistoryApp } from '../support/history-app.js';
import { TestClock } from '../support/test-clock.js';
import { http, type TestApp } from '../support/test-app.js';

/**
 * Issue 22: bindings made before the record was partitioned hold random v4 ids, whose first 48
 * bits are no time. One that falls in a month's id range must move into that month's partition
 * when the month is made (the default may not keep rows of an attached range): its month is then
 * not its time. Retention decides such a binding by its own times: it is deleted when it is past
 * retention (not kept as long as the month it sits in), and a month past retention that holds
 * one not past it, or a live one, is kept.
 */
const POOL = 'FCHISTORYLEGACY';
const X = '17000098001';
const DAY = 86_400_000;
let history: HistoryApp;
let sql: pg.Client;
const clock = new TestClock();
let app: TestApp;
const t0 = clock.now();

/** The first day of the month `plus` months from t0 (UTC). */
const monthOf = (plus: number) =>
  new Date(Date.UTC(t0.getUTCFullYear(), t0.getUTCMonth() + plus, 1));
const suffix = (plus: number) => {
  const m = monthOf(plus);
  return `${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
};
/** A v4 id (random, as made before partitioning) whose first 48 bits fall in that month. */
const v4InMonth = (plus: number, tail: string) => {
  const hex = (monthOf(plus).getTime() + 3_600_000).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4abc-8def-${tail}`;
};

const YOUNG = v4InMonth(-3, '000000000001'); // ended a day before t0
const LIVE = v4InMonth(-3, '000000000002'); // live at t0
const OLD = v4InMonth(3, '000000000003'); // ended a day before t0; its month made later

async function legacyBinding(id: string, out: string, live: boolean): Promise<void> {
  const made = new Date(t0.getTime() - DAY);
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at, created_at, updated_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $11, $7::binding_state, $8, $9, $9, $10)`,
    [
      id,
      POOL,
      out,
      `138${out.slice(-8)}`,
      `139${out.slice(-8)}`,
      X,
      live ? 'active' : 'expired',
      live ? new Date(t0.getTime() + 60 * DAY) : made,
      made,
      live ? null : made,
      `S-${out}`,
    ],
  );
  await sql.query(
    `INSERT INTO binding_events (binding_id, kind, actor, at, details)
     VALUES ($1, 'created', 'legacy-test', $2, '{}')`,
    [id, made],
  );
}
const whereIs = async (table: string, key: string, id: string) =>
  (
    await sql.query<{ part: string }>(
      `SELECT DISTINCT tableoid::regclass::text AS part FROM ${table} WHERE ${key} = $1`,
      [id],
    )
  ).rows.map((r) => r.part);
const legacyRecorded = async () =>
  (
    await sql.query<{ binding_id: string }>(
      'SELECT binding_id FROM history_legacy_bindings ORDER BY binding_id',
    )
  ).rows.map((r) => r.binding_id);
const runJob = () => history.runJob();

beforeAll(async () => {
  history = await startHistoryApp(POOL, clock);
  ({ sql, app } = history);
  await sql.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [POOL]);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州')`,
    [POOL, X],
  );
  // Written while their months have no partition: all three land in the DEFAULT partition.
  await legacyBinding(YOUNG, 'legacy-00000001', false);
  await legacyBinding(LIVE, 'legacy-00000002', true);
  await legacyBinding(OLD, 'legacy-00000003', false);
}, 120_000);
afterAll(async () => {
  await history?.close();
});

describe('bindings made before partitioning whose ids fall in a month range', () => {
  it('move with what followed them into the month made for that range, recorded as old', async () => {
    for (const id of [YOUNG, LIVE, OLD]) {
      expect(await whereIs('bindings', 'id', id)).toEqual(['bindings_default']);
    }
    expect(await legacyRecorded()).toEqual([]);
    // A month made in the past, as a backfill or the seeding tool does.
    await sql.query(`SELECT history_partition_create(t.parent, $1, $2) FROM history_tables() t`, [
      monthOf(-3),
      t0,
    ]);
    expect(await whereIs('bindings', 'id', YOUNG)).toEqual([`bindings_p${suffix(-3)}`]);
    expect(await whereIs('binding_events', 'binding_id', YOUNG)).toEqual([
      `binding_events_p${suffix(-3)}`,
    ]);
    expect(await legacyRecorded()).toEqual([YOUNG, LIVE].sort());
    // A binding of that month's own (a UUIDv7 of its time) is not recorded as old.
    const v7 = await sql.query<{ id: string }>(`SELECT binding_id_at($1) AS id`, [monthOf(-3)]);
    expect(v7.rows[0]!.id[14]).toBe('7');
  });

  it('are found by a search on their creation time, wherever their id put them', async () => {
    // A creation range bounds the id only from after the newest old binding: theirs say nothing
    // of their time (OLD is in the DEFAULT partition, YOUNG in month -3, both made at t0 - 1 day).
    const from = new Date(t0.getTime() - 2 * DAY).toISOString();
    const to = t0.toISOString();
    const page = await http<{ items: Array<{ id: string }> }>(
      'GET',
      `${app.url}/v1/bindings?state=expired&createdFrom=${from}&createdTo=${to}&limit=50`,
    );
    expect(page.status).toBe(200);
    expect(page.body.items.map((b) => b.id).sort()).toEqual([YOUNG, OLD].sort());
    const byPhone = await http<{ items: Array<{ id: string }> }>(
      'GET',
      `${app.url}/v1/bindings?phone=13800000001&createdFrom=${from}&limit=50`,
    );
    expect(byPhone.body.items.map((b) => b.id)).toEqual([YOUNG]);
  });

  it('keeps a month past retention while an old binding in it is live, or not past retention by its own times', async () => {
    // Month -3 ended two months ago: past the 30 days. Both old bindings in it are recent.
    const live = await runJob();
    expect(live).toMatchObject({ keptLive: 1, keptLegacy: 0, dropped: 0 });
    expect(await whereIs('bindings', 'id', LIVE)).toEqual([`bindings_p${suffix(-3)}`]);

    await sql.query(
      `UPDATE bindings SET state = 'expired', ended_at = $2, updated_at = $2 WHERE id = $1`,
      [LIVE, t0],
    );
    const young = await runJob();
    expect(young).toMatchObject({ keptLive: 0, keptLegacy: 1, dropped: 0 });
    for (const id of [YOUNG, LIVE]) {
      expect((await http('GET', `${app.url}/v1/bindings/${id}`)).status).toBe(200);
    }
    expect(await legacyRecorded()).toEqual([YOUNG, LIVE].sort());
  });

  it('deletes each old binding by its own age, wherever it sits, then the month goes', async () => {
    clock.advance(40 * DAY);
    const pass = await runJob();
    // Month +3 was made in this pass and took OLD, already past retention (it ended at t0 - 1
    // day): deleted now, not kept until its month's end. YOUNG and LIVE too; then month -3.
    expect(pass.created).toBeGreaterThanOrEqual(6);
    expect(pass).toMatchObject({ keptLive: 0, keptLegacy: 0, dropped: 6 });
    expect(pass.deletedFromDefault).toBe(3);
    for (const id of [YOUNG, LIVE, OLD]) {
      expect(await whereIs('bindings', 'id', id)).toEqual([]);
      expect(await whereIs('binding_events', 'binding_id', id)).toEqual([]);
    }
    expect(await legacyRecorded()).toEqual([]);
    const parts = await sql.query<{ name: string }>(
      `SELECT name FROM history_month_partitions WHERE parent = 'bindings'`,
    );
    expect(parts.rows.map((r) => r.name)).not.toContain(`bindings_p${suffix(-3)}`);
    expect(parts.rows.map((r) => r.name)).toContain(`bindings_p${suffix(3)}`);
  });
});
