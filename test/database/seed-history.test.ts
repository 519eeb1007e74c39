import { createHmac } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agedNumbers } from '../../bench/history/aged-numbers.js';
import { RECORD_TABLES, type HistoryShape } from '../../bench/history/history-rows.js';
import { HistoryPopulation } from '../../bench/history/history-rows.js';
import { seededParties } from '../../bench/history/search-probes.js';
import { secondaryIndexes } from '../../bench/history/record-indexes.js';
import { seedHistory, type SeedSummary } from '../../bench/history/seed-history.js';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * Issue 22 item 4: `npm run seed:history` writes a record that is consistent — what it counts is
 * what is there, every event, call, progress row, counter and SubsId belongs to a binding it
 * wrote, every binding has ended (nothing live follows it), ids carry their creation time and
 * rows sit in their month's partition, numbers are drawn Zipf-like, the oldest share is aged (no
 * real number left, the keyed hash of it instead), and the secondary indexes it dropped for the
 * load are all back. A consistency test, not a timing.
 */
const DAY = 86_400_000;
const END = Date.parse('2026-12-01T00:00:00Z');
const shape: HistoryShape = {
  bindings: 2_000,
  months: 6,
  endMs: END,
  seed: 42,
  poolKey: 'FCSEEDTEST',
  agedShare: 0.25,
};

const SECRET = 'seed-test-secret';

let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let summary: SeedSummary;
let indexesBefore: string[];

const count = async (query: string, params: unknown[] = []) =>
  Number((await sql.query(query, params)).rows[0].n);

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  indexesBefore = (await secondaryIndexes(sql, RECORD_TABLES)).map((i) => i.definition).sort();
  summary = await seedHistory(db.url, shape, { vacuum: false, aged: agedNumbers(SECRET, 30) });
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

describe('seed:history', () => {
  it('writes what it counts, with several events per binding and calls for most', async () => {
    for (const table of RECORD_TABLES) {
      expect(await count(`SELECT count(*) AS n FROM ${table}`), table).toBe(summary.rows[table]);
    }
    expect(summary.rows.bindings).toBe(shape.bindings);
    expect(summary.rows.binding_events).toBeGreaterThan(4 * shape.bindings);
    expect(summary.rows.call_records).toBeGreaterThan(0.5 * shape.bindings);
    expect(summary.rows.call_progress).toBeGreaterThan(0);
    expect(summary.rows.routed_counts).toBeGreaterThan(0);
  });

  it('writes only ended bindings: nothing live, nothing to reconcile', async () => {
    expect(
      await count(
        `SELECT count(*) AS n FROM bindings WHERE state NOT IN ('unbound', 'expired', 'failed')`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM bindings WHERE ended_at IS NULL`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM live_pairs`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM reconcile_queue`)).toBe(0);
  });

  it('gives every event, call, progress row, counter and SubsId a binding it wrote', async () => {
    for (const [table, column] of [
      ['binding_events', 'binding_id'],
      ['call_records', 'binding_id'],
      ['call_progress', 'binding_id'],
      ['routed_counts', 'binding_id'],
      ['binding_subscriptions', 'binding_id'],
    ]) {
      expect(
        await count(
          `SELECT count(*) AS n FROM ${table} t
            WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.id = t.${column})`,
        ),
        table,
      ).toBe(0);
    }
    // Progress belongs to a recorded call of the same binding.
    expect(
      await count(
        `SELECT count(*) AS n FROM call_progress p
          WHERE NOT EXISTS (SELECT 1 FROM call_records c
                             WHERE c.call_id = p.call_id AND c.binding_id = p.binding_id)`,
      ),
    ).toBe(0);
    // Every binding has its created event and its end; a bound one its SubsId.
    expect(
      await count(
        `SELECT count(*) AS n FROM bindings b
          WHERE NOT EXISTS (SELECT 1 FROM binding_events e WHERE e.binding_id = b.id AND e.kind = 'created')
             OR NOT EXISTS (SELECT 1 FROM binding_events e WHERE e.binding_id = b.id
                             AND e.kind IN ('unbound', 'expired', 'failed'))`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM bindings b
          WHERE b.subs_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM binding_subscriptions s
                             WHERE s.binding_id = b.id AND s.subs_id = b.subs_id)`,
      ),
    ).toBe(0);
  });

  it('keeps every event and call within its binding’s life', async () => {
    expect(
      await count(
        `SELECT count(*) AS n FROM binding_events e JOIN bindings b ON b.id = e.binding_id
          WHERE e.at < b.created_at OR e.at > b.ended_at + interval '1 minute'`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM call_records c JOIN bindings b ON b.id = c.binding_id
          WHERE c.call_time < b.created_at OR c.release_time > b.ended_at
             OR c.secret_no IS DISTINCT FROM b.phone_x`,
      ),
    ).toBe(0);
  });

  it('spreads the bindings over six months, each id carrying its creation time', async () => {
    const { rows } = await sql.query(
      `SELECT min(created_at) AS first, max(ended_at) AS last,
              count(*) FILTER (WHERE substring(replace(id::text, '-', '') FROM 1 FOR 12)
                                     <> lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0')) AS off,
              count(DISTINCT date_trunc('month', created_at)) AS months
         FROM bindings`,
    );
    expect(rows[0].first.getTime()).toBeGreaterThanOrEqual(END - 180 * DAY);
    expect(rows[0].first.getTime()).toBeLessThan(END - 175 * DAY);
    expect(rows[0].last.getTime()).toBeLessThanOrEqual(END);
    expect(Number(rows[0].off)).toBe(0);
    expect(Number(rows[0].months)).toBeGreaterThanOrEqual(6);
    // Each row in its month's partition (made by the seed), none in a DEFAULT partition.
    expect(summary.partitions).toBeGreaterThanOrEqual(6 * RECORD_TABLES.length);
    for (const table of RECORD_TABLES) {
      expect(await count(`SELECT count(*) AS n FROM ${table}_default`), table).toBe(0);
    }
  });

  it('draws numbers Zipf-like: a few frequent riders and drivers, most seen a few times', async () => {
    const { rows } = await sql.query(
      `SELECT max(n) AS top, percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median
         FROM (SELECT count(*) AS n FROM bindings GROUP BY phone_a) r`,
    );
    // s = 0.5 over 500 riders: the first ~45 trips, the median rider ~3.
    expect(Number(rows[0].top)).toBeGreaterThanOrEqual(25);
    expect(Number(rows[0].median)).toBeLessThanOrEqual(5);
    expect(Number(rows[0].top)).toBeGreaterThanOrEqual(8 * Number(rows[0].median));
    const drivers = await sql.query(
      `SELECT max(n) AS top FROM (SELECT count(*) AS n FROM bindings GROUP BY phone_b) d`,
    );
    expect(Number(drivers.rows[0].top)).toBeGreaterThan(Number(rows[0].top));
  });

  it('ages the oldest share: masked numbers and their keyed hash, no real number anywhere (hashes on every row, as the service writes them)', async () => {
    const aged = shape.bindings * shape.agedShare;
    const { rows } = await sql.query(
      `SELECT count(*) FILTER (WHERE aged_at IS NOT NULL) AS aged,
              count(*) FILTER (WHERE aged_at IS NOT NULL AND (phone_a !~ '^[0-9]{3}\\*{4}[0-9]{4}$'
                                 OR phone_b !~ '^[0-9]{3}\\*{4}[0-9]{4}$'
                                 OR phone_a_hash IS NULL OR phone_b_hash IS NULL)) AS real_left,
              count(*) FILTER (WHERE aged_at IS NULL AND (phone_a LIKE '%*%' OR phone_a_hash IS NULL
                                 OR phone_b_hash IS NULL)) AS wrongly,
              max(created_at) FILTER (WHERE aged_at IS NOT NULL) < min(created_at) FILTER (WHERE aged_at IS NULL) AS oldest
         FROM bindings`,
    );
    expect(Number(rows[0].aged)).toBe(aged);
    expect(Number(rows[0].real_left)).toBe(0);
    expect(Number(rows[0].wrongly)).toBe(0);
    expect(rows[0].oldest).toBe(true);
    // Calls of aged bindings: masked numbers, hashed, and none in the raw report either.
    const calls = await sql.query(
      `SELECT count(*) AS n,
              count(*) FILTER (WHERE c.phone_no !~ '\\*' OR c.peer_no !~ '\\*' OR c.phone_no_hash IS NULL
                                 OR c.raw->>'phone_no' !~ '\\*' OR c.raw->>'peer_no' !~ '\\*') AS real_left
         FROM call_records c JOIN bindings b ON b.id = c.binding_id
        WHERE b.aged_at IS NOT NULL`,
    );
    expect(Number(calls.rows[0].n)).toBeGreaterThan(0);
    expect(Number(calls.rows[0].real_left)).toBe(0);
    // The hash is the keyed hash of the real number: a search by the full number finds it.
    const { rows: first } = await sql.query(
      `SELECT phone_a_hash FROM bindings WHERE out_id = 'trip-000000'`,
    );
    expect(first[0].phone_a_hash).toEqual(
      createHmac('sha256', SECRET)
        .update(seededParties(shape, new HistoryPopulation(shape.bindings), 0).phoneA)
        .digest(),
    );
  });

  it('puts back every secondary index it dropped for the load, as it was', async () => {
    expect(summary.builtIndexes.length).toBeGreaterThan(0);
    // Built on the parents and every partition (an index of the parent alone stays invalid).
    expect(
      await count(
        `SELECT count(*) AS n FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          WHERE NOT x.indisvalid`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'bindings_p' || to_char($1::timestamptz, 'YYYY_MM')`,
        [new Date(END - 90 * DAY)],
      ),
    ).toBe(await count(`SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'bindings'`));
    expect((await secondaryIndexes(sql, RECORD_TABLES)).map((i) => i.definition).sort()).toEqual(
      indexesBefore,
    );
  });
});
