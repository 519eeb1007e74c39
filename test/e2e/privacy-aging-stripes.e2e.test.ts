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
});
