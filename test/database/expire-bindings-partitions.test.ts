import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * expire_bindings() on the partitioned record: a binding is ended by its id, never by its row's
 * address. A ctid names a row only within its partition, so two months' first rows share one;
 * an update of `bindings` by ctid ended the other month's live binding too (no event, its live
 * pair gone). Its own database: the months' partitions start empty, so their first rows do share
 * an address.
 */
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ('FCPARTS')`);
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

/** A live binding whose id places it in the month of `created`. */
async function binding(
  outId: string,
  party: string,
  created: string,
  expires: string,
): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at)
     VALUES (binding_id_at(now() + $2::interval), 'FCPARTS', $1::text, '138' || $3, '139' || $3,
             '13000000001', 'S' || $1::text, 'active', now() + $4::interval)
     RETURNING id`,
    [outId, created, party, expires],
  );
  return rows[0]!.id;
}

describe('expire_bindings() on the partitioned record', () => {
  it('ends only the due binding when a live one of another month sits at the same address', async () => {
    const due = await binding('due', '00000001', '-62 days', '-1 minute');
    await binding('live', '00000002', '0 days', '1 hour');
    const { rows: where } = await sql.query<{ id: string; part: string; ctid: string }>(
      `SELECT id, tableoid::regclass::text AS part, ctid::text FROM bindings ORDER BY out_id`,
    );
    // The case itself: two partitions, one address.
    expect(where[0]!.part).not.toBe(where[1]!.part);
    expect(where[0]!.ctid).toBe(where[1]!.ctid);

    const swept = await sql.query(
      `SELECT binding_id, previous_state::text FROM expire_bindings(NULL, 100, now(), 'test', '{}', true)`,
    );
    expect(swept.rows).toEqual([{ binding_id: due, previous_state: 'active' }]);
    const { rows } = await sql.query<{ out_id: string; state: string; pair: boolean }>(
      `SELECT b.out_id, b.state::text,
              EXISTS (SELECT 1 FROM live_pairs p WHERE p.binding_id = b.id) AS pair
         FROM bindings b ORDER BY b.out_id`,
    );
    expect(rows).toEqual([
      { out_id: 'due', state: 'expired', pair: false },
      { out_id: 'live', state: 'active', pair: true },
    ]);
  });

  it('ends no binding whose own expiry is later than its pair says (an extension the sweep did not see)', async () => {
    // What a sweep sees when an extension commits between its snapshot and its row lock: the
    // locked binding re-read with its new expiry, the pair as it was (not locked, not re-read).
    // Made here directly: the pair set back, its follower trigger off for the one statement.
    const extended = await binding('extended', '00000003', '0 days', '1 hour');
    await sql.query(`SET session_replication_role = replica`);
    await sql.query(
      `UPDATE live_pairs SET expires_at = now() - interval '1 minute' WHERE binding_id = $1`,
      [extended],
    );
    await sql.query(`SET session_replication_role = DEFAULT`);
    const swept = await sql.query<{ binding_id: string }>(
      `SELECT binding_id FROM expire_bindings(NULL, 100, now(), 'test', '{}', true)`,
    );
    expect(swept.rows.map((r) => r.binding_id)).not.toContain(extended);
    const { rows } = await sql.query(`SELECT state::text FROM bindings WHERE id = $1`, [extended]);
    expect(rows).toEqual([{ state: 'active' }]);
  });

  it('reads no month whole: a batch is found through the live pairs and updated by address', async () => {
    // The planner priced a TID scan of a batch's addresses above a sequential scan of any month
    // under ~160 MB, so each batch of a sweep read the whole month (a sweep quadratic in what
    // was due). Read from pg_stat_xact_user_tables: this connection's scans not yet flushed.
    await sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                             expires_at)
       SELECT binding_id_at(now()), 'FCPARTS', 'scan-' || g, '137' || lpad(g::text, 8, '0'),
              '136' || lpad(g::text, 8, '0'), '1300000' || lpad((g / 100)::text, 4, '0'),
              'S' || g, 'active',
              now() - CASE WHEN g % 4 = 0 THEN interval '1 minute' ELSE interval '-1 hour' END
         FROM generate_series(1, 2000) g`,
    );
    await sql.query(`ANALYZE bindings`);
    // (they include its earlier statements' scans: compared before and after)
    const seqScans = async (): Promise<Record<string, number>> => {
      const { rows } = await sql.query<{ table: string; n: number }>(
        `SELECT s.relname AS table, s.seq_scan::int AS n FROM pg_stat_xact_user_tables s
          WHERE s.relname LIKE 'bindings\\_%'`,
      );
      return Object.fromEntries(rows.map((r) => [r.table, r.n]));
    };
    await sql.query('BEGIN');
    try {
      const before = await seqScans();
      const { rows: swept } = await sql.query(
        `SELECT binding_id FROM expire_bindings(NULL, 5000, now(), 'test', '{}', true)`,
      );
      expect(swept).toHaveLength(500);
      expect(await seqScans()).toEqual(before);
    } finally {
      await sql.query('ROLLBACK');
    }
  });

  it('ends a batch spread over two months and the DEFAULT partition, each binding once, with its state', async () => {
    // A sweep's batch locks its bindings in their partitions themselves: the months by their
    // id ranges, and the ids of no month (old random ones) in the DEFAULT partition.
    const ids = {
      thisMonth: await binding('spread-1', '00000011', '0 days', '-1 minute'),
      nextMonth: await binding('spread-2', '00000012', '35 days', '-1 minute'),
    };
    const { rows: old } = await sql.query<{ id: string }>(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, state, expires_at)
       VALUES ('f0000000-0000-4000-8000-000000000013', 'FCPARTS', 'spread-3', '13800000013',
               '13900000013', '13000000001', 'unknown', now() - interval '1 minute')
       RETURNING id`,
    );
    const all = { ...ids, old: old[0]!.id };
    const { rows: parts } = await sql.query<{ part: string }>(
      `SELECT DISTINCT tableoid::regclass::text AS part FROM bindings WHERE out_id LIKE 'spread-%'`,
    );
    expect(parts.map((p) => p.part).sort()).toHaveLength(3);
    expect(parts.map((p) => p.part)).toContain('bindings_default');

    // (with the due bindings the test above left: its sweep was rolled back)
    const { rows: swept } = await sql.query<{ binding_id: string; previous_state: string }>(
      `SELECT binding_id, previous_state::text
         FROM expire_bindings(NULL, 5000, now(), 'test', '{"k": 1}', true)
        WHERE binding_id = ANY ($1) ORDER BY binding_id`,
      [Object.values(all)],
    );
    expect(swept).toEqual(
      [
        { binding_id: all.thisMonth, previous_state: 'active' },
        { binding_id: all.nextMonth, previous_state: 'active' },
        { binding_id: all.old, previous_state: 'unknown' },
      ].sort((a, b) => a.binding_id.localeCompare(b.binding_id)),
    );
    const { rows } = await sql.query<{
      out_id: string;
      state: string;
      pair: boolean;
      events: unknown[];
    }>(
      `SELECT b.out_id, b.state::text,
              EXISTS (SELECT 1 FROM live_pairs p WHERE p.binding_id = b.id) AS pair,
              (SELECT json_agg(json_build_object('part', e.tableoid::regclass::text,
                                                 'details', e.details))
                 FROM binding_events e WHERE e.binding_id = b.id AND e.kind = 'expired') AS events
         FROM bindings b WHERE b.out_id LIKE 'spread-%' ORDER BY b.out_id`,
    );
    const month = (id: string) =>
      sql
        .query<{ part: string }>(
          `SELECT tableoid::regclass::text AS part FROM bindings WHERE id = $1`,
          [id],
        )
        .then((r) => r.rows[0]!.part.replace('bindings', 'binding_events'));
    expect(rows).toEqual([
      {
        out_id: 'spread-1',
        state: 'expired',
        pair: false,
        events: [{ part: await month(all.thisMonth), details: { k: 1, previousState: 'active' } }],
      },
      {
        out_id: 'spread-2',
        state: 'expired',
        pair: false,
        events: [{ part: await month(all.nextMonth), details: { k: 1, previousState: 'active' } }],
      },
      {
        out_id: 'spread-3',
        state: 'expired',
        pair: false,
        events: [{ part: 'binding_events_default', details: { k: 1, previousState: 'unknown' } }],
      },
    ]);
    // The one whose provider side was open stays due for reconciliation's provider check.
    const { rows: queued } = await sql.query(
      `SELECT binding_id FROM reconcile_queue WHERE binding_id = ANY ($1)`,
      [Object.values(all)],
    );
    expect(queued).toEqual([{ binding_id: all.old }]);
  });
});
