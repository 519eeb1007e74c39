import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhoneAgingRepository } from '../../src/history/phone-aging.repository.js';
import { createDatabaseBefore } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 22 item 2 at scale: privacy aging walks its stripes by day of creation, so a batch ages
 * bindings made one after another (they share heap pages) instead of one row in 8 of every page
 * (the stripes by the id's last byte, the version before). Starts from a database of that version
 * whose cursors had moved apart: the upgrade takes every cursor back to the earliest, so nothing
 * one of the old stripes had not looked at is skipped by the new ones.
 */
const DAY_STRIPES = '20261207112000_aging_day_stripes';
const POOL = 'FCAGINGSTRIPES';
const DAY = 86_400_000;
const SECRET = 'test-phone-hash-secret-aging-stripes-0123456789';

let sim: TestSimulator;
let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;
const clock = new TestClock();
let app: TestApp;

/** A binding id made at `ms` (UUIDv7: its month's partition) whose last byte is `n`. */
const idAt = (ms: number, n: number) => {
  const t = ms.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8)}-7000-8000-0000000000${n.toString(16).padStart(2, '0')}`;
};
/** Ended bindings made at the given times (10 minutes each), their id's last byte `first + i`. */
const insertEnded = async (times: number[], first: number) => {
  const ids = times.map((ms, i) => idAt(ms, first + i));
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at,
                           created_at, updated_at, ended_at)
     SELECT t.id, $2, 'stripes-' || t.n, '138' || lpad(t.n::text, 8, '0'),
            '139' || lpad(t.n::text, 8, '0'), 'expired', t.at + interval '10 minutes',
            t.at, t.at, t.at + interval '10 minutes'
       FROM unnest($1::uuid[], $3::timestamptz[], $4::int[]) AS t(id, at, n)`,
    [ids, POOL, times.map((ms) => new Date(ms)), times.map((_, i) => first + i)],
  );
  return ids;
};
const agedOf = async (ids: string[]) =>
  (
    await sql.query<{ id: string; created_at: Date }>(
      `SELECT id, created_at FROM bindings
        WHERE id = ANY($1::uuid[]) AND aged_at IS NOT NULL AND phone_a LIKE '%*%'
        ORDER BY created_at, id`,
      [ids],
    )
  ).rows;

/** The first whole UTC day at least `daysAgo` days back whose number is a multiple of 8. */
const stripeZeroDay = (daysAgo: number) => {
  const day = Math.floor((clock.now().getTime() - daysAgo * DAY) / DAY);
  return (day - (day % 8)) * DAY;
};

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createDatabaseBefore(DAY_STRIPES);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

describe('aging stripes by day of creation', () => {
  let before: string[];
  const now = () => clock.now();
  const cutoff = () => new Date(clock.now().getTime() - 30 * DAY);

  it('takes every cursor of the version before back to the earliest: nothing is skipped', async () => {
    // Two bindings on each of 8 days in a row (one day of each new stripe), made by the version
    // before, whose stripe 0 (ids ending in 0 or 8) had walked them all and aged its own.
    const start = stripeZeroDay(60);
    const times = Array.from(
      { length: 16 },
      (_, i) => start + Math.floor(i / 2) * DAY + i * 60_000,
    );
    before = await insertEnded(times, 0);
    const last = before[15]!;
    await sql.query(
      `INSERT INTO aging_progress (id, created_at, binding_id, walked, updated_at)
       SELECT k, CASE WHEN k = 0 THEN $1::timestamptz ELSE '-infinity' END,
              CASE WHEN k = 0 THEN $2::uuid ELSE '00000000-0000-0000-0000-000000000000' END,
              NULL, now()
         FROM generate_series(0, 7) k`,
      [new Date(times[15]!), last],
    );
    await sql.query(
      `UPDATE bindings SET phone_a = '138****' || right(phone_a, 4),
                           phone_b = '139****' || right(phone_b, 4), aged_at = now()
        WHERE id = ANY($1::uuid[])`,
      [[before[0], before[8]]],
    );

    await db.upgrade();
    const cursors = await sql.query<{ at: Date; id: string; walked: Date | null }>(
      `SELECT created_at AS at, binding_id AS id, walked FROM aging_progress ORDER BY id`,
    );
    expect(cursors.rows).toHaveLength(8);
    for (const c of cursors.rows) {
      expect(c).toMatchObject({ id: '00000000-0000-0000-0000-000000000000', walked: null });
    }

    app = await startTestApp(
      { ...sim.env, PHONE_MASK_AFTER_DAYS: '30', PHONE_HASH_SECRET: SECRET },
      { clock, databaseUrl: db.url },
    );
    const aging = app.app.get(PhoneAgingRepository);
    let aged = 0;
    for (let batch = 0; batch < 50; batch += 1) {
      const done = await aging.ageBatch(now(), cutoff(), 100);
      aged += done.bindings;
      if (!done.more) break;
    }
    expect(aged).toBe(14);
    expect((await agedOf(before)).map((r) => r.id).sort()).toEqual([...before].sort());
  });

  it('ages a batch of bindings made one after another on one day, in creation order', async () => {
    // Four bindings on each of three days after those above (stripes 0, 1 and 2), their ids'
    // last bytes 0..11: stripes by that byte would take every 8th binding, across the days.
    const start = stripeZeroDay(60) + 16 * DAY;
    const times = Array.from(
      { length: 12 },
      (_, i) => start + Math.floor(i / 4) * DAY + i * 60_000,
    );
    const ids = await insertEnded(times, 0);
    const aging = app.app.get(PhoneAgingRepository);
    // A later cutoff than the pass above (which walked every stripe to its own).
    const later = new Date(cutoff().getTime() + 60_000);
    let first = 0;
    for (let batch = 0; batch < 20 && first === 0; batch += 1) {
      first = (await aging.ageBatch(now(), later, 3)).bindings;
    }
    expect(first).toBe(3);
    const aged = await agedOf(ids);
    const day = Math.floor(aged[0]!.created_at.getTime() / DAY);
    const ofDay = ids.filter((_, i) => Math.floor(times[i]! / DAY) === day);
    expect(aged.map((r) => r.id)).toEqual(ofDay.slice(0, 3));
  });

  it('passes over bindings aged already in its walk: a batch is bindings still to age', async () => {
    const aging = app.app.get(PhoneAgingRepository);
    const later = new Date(cutoff().getTime() + 120_000);
    // Everything before is aged (the day above had one left after its batch of 3).
    for (let batch = 0; batch < 50; batch += 1) {
      if (!(await aging.ageBatch(now(), later, 100)).more) break;
    }
    // Six bindings on a later day of stripe 0, the first three of them aged already (as a
    // record's oldest stretch is when its cursors are made): the stripe's next three to look at
    // are the other three, not three to pass over.
    const start = stripeZeroDay(60) + 24 * DAY;
    const ids = await insertEnded(
      Array.from({ length: 6 }, (_, i) => start + i * 60_000),
      0x40,
    );
    await sql.query(
      `UPDATE bindings SET phone_a = '138****' || right(phone_a, 4),
                           phone_b = '139****' || right(phone_b, 4), aged_at = now()
        WHERE id = ANY($1::uuid[])`,
      [ids.slice(0, 3)],
    );
    const window = await sql.query<{ id: string }>(
      `SELECT id FROM aging_stripe_window(0, 8, ${DAY}, '-infinity',
                                          '00000000-0000-0000-0000-000000000000', $1, 3)`,
      [new Date(cutoff().getTime() + 180_000)],
    );
    expect(window.rows.map((r) => r.id)).toEqual(ids.slice(3));
    let aged = 0;
    for (let batch = 0; batch < 50; batch += 1) {
      const done = await aging.ageBatch(now(), new Date(cutoff().getTime() + 180_000), 100);
      aged += done.bindings;
      if (!done.more) break;
    }
    expect(aged).toBe(3);
  });

  it('ages bindings and calls in any partition: a month, the DEFAULT one, and calls of no binding', async () => {
    // A binding whose id is in no month's range (the DEFAULT partition, as a legacy id would
    // be), one in its month, a call record of each, and one the provider sent for no binding.
    const at = stripeZeroDay(60) + 25 * DAY;
    const [inMonth] = await insertEnded([at], 0x50);
    const inDefault = '00000000-0000-4000-8000-000000000051';
    await sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at,
                             created_at, updated_at, ended_at)
       VALUES ($1, $2, 'stripes-default', '13800000051', '13900000051', 'expired', $3, $3, $3, $3)`,
      [inDefault, POOL, new Date(at + 60_000)],
    );
    const where = await sql.query<{ id: string; part: string }>(
      `SELECT id, tableoid::regclass::text AS part FROM bindings WHERE id = ANY($1::uuid[])`,
      [[inMonth, inDefault]],
    );
    expect(Object.fromEntries(where.rows.map((r) => [r.id, r.part]))[inDefault]).toBe(
      'bindings_default',
    );
    await sql.query(
      `INSERT INTO call_records (call_id, binding_id, phone_no, peer_no, call_type, received_at, raw)
       SELECT t.call, t.bid, t.a, t.b, 0, $1, jsonb_build_object('phone_no', t.a, 'peer_no', t.b)
         FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[]) AS t(call, bid, a, b)`,
      [
        new Date(at),
        ['stripes-call-month', 'stripes-call-default', 'stripes-call-none'],
        [inMonth, inDefault, null],
        ['13800000050', '13800000051', '13800000052'],
        ['13900000050', '13900000051', '13900000052'],
      ],
    );
    const aging = app.app.get(PhoneAgingRepository);
    const later = new Date(cutoff().getTime() + 240_000);
    let bindings = 0;
    let calls = 0;
    for (let batch = 0; batch < 50; batch += 1) {
      const done = await aging.ageBatch(now(), later, 100);
      bindings += done.bindings;
      calls += done.calls;
      if (!done.more) break;
    }
    expect({ bindings, calls }).toEqual({ bindings: 2, calls: 3 });
    const left = await sql.query(
      `SELECT id::text FROM bindings WHERE phone_a NOT LIKE '%*%' OR phone_b NOT LIKE '%*%'
       UNION ALL
       SELECT id::text FROM call_records
        WHERE phone_no NOT LIKE '%*%' OR peer_no NOT LIKE '%*%' OR raw::text ~ '1[0-9]{10}'
           OR aged_at IS NULL`,
    );
    expect(left.rows).toEqual([]);
    // The partitions' guard still refuses a write aimed at a partition by anyone else.
    await expect(
      sql.query(`UPDATE bindings_default SET phone_a = phone_a WHERE id = $1`, [inDefault]),
    ).rejects.toThrow(/refused/);
  });
});
