import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * The record is written through its parent tables only (prisma/sql/090_history_partitions.sql):
 * its statement-level triggers (live pairs, reconciliation queue, routing-cache notifications,
 * the events' binding check, the webhook outbox) sit on the parents, and Postgres fires them only
 * for statements aimed at the parent. A statement aimed at a partition directly would change the
 * record and bypass them all; every partition refuses one, and writes through the parents, and
 * partition maintenance, go on as before.
 */
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ('FCGUARD')`);
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

/** A live binding of this month, written through the parent; its id. */
async function liveBinding(outId: string, party: string): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at)
     VALUES (binding_id_at(now()), 'FCGUARD', $1::text, '138' || $2, '139' || $2, '13000000009',
             'S' || $1::text, 'active', now() + interval '1 hour')
     RETURNING id`,
    [outId, party],
  );
  return rows[0]!.id;
}

async function partitionOf(table: string, key: string, id: string): Promise<string> {
  const { rows } = await sql.query<{ part: string }>(
    `SELECT tableoid::regclass::text AS part FROM ${table} WHERE ${key} = $1 LIMIT 1`,
    [id],
  );
  return rows[0]!.part;
}

/** Runs a statement the guard must refuse (42501), with exactly `message` when one is given. */
async function refusal(statement: string, params: unknown[] = [], message?: string): Promise<void> {
  await expect(sql.query(statement, params), statement).rejects.toMatchObject({
    code: '42501',
    ...(message === undefined ? {} : { message }),
  });
}

describe('the record is written through its parent tables only', () => {
  it('guards every partition of every table of the record, DEFAULT and months alike', async () => {
    const { rows } = await sql.query<{ parent: string; unguarded: string[] | null; n: number }>(
      `SELECT t.parent, count(c.oid)::int AS n,
              array_agg(c.relname::text) FILTER (WHERE NOT EXISTS (
                  SELECT 1 FROM pg_trigger g
                   WHERE g.tgrelid = c.oid AND g.tgname = 'record_partition_guard')) AS unguarded
         FROM history_tables() t
         JOIN pg_inherits i ON i.inhparent = t.parent::regclass
         JOIN pg_class c ON c.oid = i.inhrelid
        GROUP BY t.parent ORDER BY t.parent`,
    );
    expect(rows.map((r) => r.parent)).toEqual([
      'binding_events',
      'binding_subscriptions',
      'bindings',
      'call_progress',
      'call_records',
      'routed_counts',
    ]);
    for (const row of rows) {
      // DEFAULT and the month of now and the two after it, at least.
      expect(row.n, row.parent).toBeGreaterThanOrEqual(4);
      expect(row.unguarded, row.parent).toBeNull();
    }
  });

  it('puts no trigger but the guard on a partition (its statements would fire it)', async () => {
    // expire_bindings() aims its update and events at the partitions (050_bind_path.sql) and does
    // what the parents' triggers do itself: a trigger left on a partition would fire there, as
    // the old table's routing-cache notifier on bindings_default did (every expired binding of it
    // told to the caches again, pending and unknown ones included).
    const { rows } = await sql.query<{ partition: string; trigger: string }>(
      `SELECT c.relname::text AS partition, g.tgname::text AS trigger
         FROM history_tables() t
         JOIN pg_inherits i ON i.inhparent = t.parent::regclass
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_trigger g ON g.tgrelid = c.oid
        WHERE NOT g.tgisinternal AND g.tgname <> 'record_partition_guard'`,
    );
    expect(rows).toEqual([]);
  });

  it("lets the expire operation's own statements through, and nothing after them", async () => {
    const id = await liveBinding('expire-direct', '00000004');
    const month = await partitionOf('bindings', 'id', id);
    await sql.query('BEGIN');
    try {
      const { rows } = await sql.query(
        `SELECT binding_id FROM expire_bindings($1::uuid[], NULL, now(), 'test', '{}', false)`,
        [[id]],
      );
      expect(rows).toEqual([{ binding_id: id }]);
      expect(await partitionOf('binding_events', 'binding_id', id)).toBe(
        month.replace('bindings', 'binding_events'),
      );
      await refusal(`DELETE FROM ${month} WHERE id = $1`, [id]);
    } finally {
      await sql.query('ROLLBACK');
    }
  });

  it('refuses an UPDATE, DELETE or INSERT aimed at a partition, and changes nothing', async () => {
    const id = await liveBinding('guarded', '00000001');
    const month = await partitionOf('bindings', 'id', id);
    expect(month).toMatch(/^bindings_p\d{4}_\d{2}$/);

    // What a direct write would have got past: ending a live binding leaves its live pair.
    await refusal(
      `UPDATE ${month} SET state = 'expired', ended_at = now() WHERE id = $1`,
      [id],
      `UPDATE on partition ${month} refused: write the record through its table bindings`,
    );
    await refusal(`DELETE FROM ${month} WHERE id = $1`, [id]);
    // No event yet: an insert aimed at the month's events.
    const events = await sql.query(`SELECT 1 FROM binding_events WHERE binding_id = $1`, [id]);
    expect(events.rowCount).toBe(0);
    await refusal(
      `INSERT INTO ${month.replace('bindings', 'binding_events')} (binding_id, kind, actor, details)
       VALUES ($1, 'bound', 'psql', '{}')`,
      [id],
    );
    await refusal(`DELETE FROM call_records_default WHERE binding_id IS NULL`);

    const { rows } = await sql.query(
      `SELECT b.state::text AS state,
              (SELECT count(*)::int FROM live_pairs p WHERE p.binding_id = b.id) AS pairs,
              (SELECT count(*)::int FROM binding_events e WHERE e.binding_id = b.id) AS events
         FROM bindings b WHERE b.id = $1`,
      [id],
    );
    expect(rows).toEqual([{ state: 'active', pairs: 1, events: 0 }]);
  });

  it('lets writes through the parent reach every partition, with their triggers', async () => {
    const id = await liveBinding('through-parent', '00000002');
    await sql.query(
      `INSERT INTO binding_events (binding_id, kind, actor, details)
       VALUES ($1, 'bound', 'test', '{}')`,
      [id],
    );
    await sql.query(`UPDATE bindings SET state = 'expired', ended_at = now() WHERE id = $1`, [id]);
    const { rows } = await sql.query(
      `SELECT (SELECT count(*)::int FROM live_pairs p WHERE p.binding_id = $1) AS pairs,
              (SELECT count(*)::int FROM binding_events e WHERE e.binding_id = $1) AS events`,
      [id],
    );
    // The record's trigger ran: the ended binding's pair is gone.
    expect(rows).toEqual([{ pairs: 0, events: 1 }]);
    await sql.query(`DELETE FROM bindings WHERE id = $1`, [id]);
    const left = await sql.query(`SELECT 1 FROM binding_events WHERE binding_id = $1`, [id]);
    expect(left.rowCount).toBe(0);
  });

  it('guards a month made later, which still takes its rows out of DEFAULT', async () => {
    // A binding written while its month had no partition lands in DEFAULT…
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at, ended_at)
       VALUES (binding_id_at(now() + interval '5 months'), 'FCGUARD', 'early', '13800000003',
               '13900000003', 'expired', now(), now())
       RETURNING id`,
    );
    const id = rows[0]!.id;
    expect(await partitionOf('bindings', 'id', id)).toBe('bindings_default');
    // …and making the month moves it, past DEFAULT's guard.
    const made = await sql.query<{ moved: string }>(
      `SELECT history_partition_create('bindings', now() + interval '5 months', now()) AS moved`,
    );
    expect(made.rows[0]!.moved).toBe('1');
    const month = await partitionOf('bindings', 'id', id);
    expect(month).toMatch(/^bindings_p\d{4}_\d{2}$/);
    await refusal(`DELETE FROM ${month} WHERE id = $1`, [id]);
    // The maintenance allowance ends with the move, not with the transaction that made it.
    await sql.query('BEGIN');
    try {
      await sql.query(
        `SELECT history_partition_create('bindings', now() + interval '6 months', now())`,
      );
      await refusal(`DELETE FROM bindings_default WHERE id = $1`, [id]);
    } finally {
      await sql.query('ROLLBACK');
    }
  });
});
