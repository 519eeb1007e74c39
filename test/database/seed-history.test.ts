import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_TABLES, type HistoryShape } from '../../bench/history/history-rows.js';
import { secondaryIndexes } from '../../bench/history/record-indexes.js';
import { seedHistory, type SeedSummary } from '../../bench/history/seed-history.js';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * Issue 22 item 4: `npm run seed:history` writes a record that is consistent — what it counts is
 * what is there, every event, call, progress row, counter and SubsId belongs to a binding it
 * wrote, every binding has ended (nothing live follows it), ids carry their creation time (the
 * month partitions are cut by id), numbers are drawn Zipf-like, and the secondary indexes it
 * dropped for the load are all back. A consistency test, not a timing.
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
  summary = await seedHistory(db.url, shape, { vacuum: false });
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
  });

  it('draws numbers Zipf-like: a few frequent riders and drivers, most seen once or twice', async () => {
    const { rows } = await sql.query(
      `SELECT max(n) AS top, percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median
         FROM (SELECT count(*) AS n FROM bindings GROUP BY phone_a) r`,
    );
    expect(Number(rows[0].top)).toBeGreaterThanOrEqual(20);
    expect(Number(rows[0].median)).toBeLessThanOrEqual(2);
    const drivers = await sql.query(
      `SELECT max(n) AS top FROM (SELECT count(*) AS n FROM bindings GROUP BY phone_b) d`,
    );
    expect(Number(drivers.rows[0].top)).toBeGreaterThan(Number(rows[0].top));
  });

  it('puts back every secondary index it dropped for the load, as it was', async () => {
    expect(summary.builtIndexes.length).toBeGreaterThan(0);
    expect((await secondaryIndexes(sql, RECORD_TABLES)).map((i) => i.definition).sort()).toEqual(
      indexesBefore,
    );
  });
});
