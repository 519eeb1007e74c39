import pg from 'pg';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routingNotesDatabase } from '../support/routing-notes-database.js';

/**
 * place_bindings() and settle_bound() do what follows their own writes of the record (live pairs,
 * reconciliation queue, SubsIds, routing caches) and write their events without the statement's
 * existence check: the record's trigger and the check skip their statements while
 * `axb.bind_followed` is set (prisma/sql/050_bind_path.sql, 030_binding_record.sql). These are
 * the effects the trigger had, and the flag's reach: nothing else in the same transaction skips
 * them.
 */
const fixture = routingNotesDatabase(async (client) => {
  await client.query(`INSERT INTO pools (key) VALUES ('FCBINDFOLLOW')`);
  await client.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city)
     VALUES ('FCBINDFOLLOW', '13000000001', 2, '杭州'), ('FCBINDFOLLOW', '13000000002', 2, '杭州')`,
  );
});
let sql: pg.Client;
let serial = 0;
beforeAll(() => {
  sql = fixture.sql;
});
const routingNotes = () => fixture.routingNotes();
beforeEach(async () => {
  await sql.query(
    `TRUNCATE bindings, binding_events, binding_subscriptions, live_pairs, reconcile_queue,
              x_load_hints CASCADE`,
  );
  await routingNotes();
});

/** Places `count` binds in one call of place_bindings() (a batch): their binding ids. */
async function place(count: number, client: pg.Client = sql): Promise<string[]> {
  const items = Array.from({ length: count }, (_, i) => {
    serial += 1;
    const n = String(serial).padStart(8, '0');
    return {
      i,
      outId: `order-${n}`,
      record: false,
      expiresAt: new Date(Date.now() + 3_600_000),
      actor: 'order',
      details: { n },
      pool: 'FCBINDFOLLOW',
      a: `137${n}`,
      b: `139${n}`,
      city: null,
      cityStrict: false,
      pinned: null,
      exclude: [],
      maxPairs: 100,
      callControl: {},
      owner: 'order',
      seesAll: false,
    };
  });
  const { rows } = await client.query<{ id: string; outcome: string }>(
    `SELECT id, outcome FROM place_bindings($1::jsonb, now(), false) ORDER BY i`,
    [JSON.stringify(items)],
  );
  expect(rows.map((r) => r.outcome)).toEqual(items.map(() => 'placed'));
  return rows.map((r) => r.id);
}

/** settle_bound() for these bindings, SubsId `S-<id>`: the ids it settled. */
async function settle(ids: string[], client: pg.Client = sql): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM settle_bound($1::jsonb, now())`,
    [JSON.stringify(ids.map((id) => ({ id, subs: `S-${id}`, actor: 'provider', details: {} })))],
  );
  return rows.map((r) => r.id).sort();
}

async function column(query: string, params: unknown[] = []): Promise<unknown[]> {
  const { rows } = await sql.query(query, params);
  return rows.map((r: Record<string, unknown>) => Object.values(r)[0]).sort();
}

describe('place_bindings() and settle_bound(): what follows the record', () => {
  it('a placement gives each binding its pair and its place in the queue, and tells the caches nothing', async () => {
    const ids = await place(3);
    expect(await column('SELECT binding_id FROM live_pairs')).toEqual([...ids].sort());
    const { rows } = await sql.query(
      `SELECT q.binding_id, q.since = b.updated_at AS since_change, q.attempts, q.next_at
         FROM reconcile_queue q JOIN bindings b ON b.id = q.binding_id`,
    );
    expect(rows.map((r) => r.binding_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.since_change && r.attempts === 0 && r.next_at === null)).toBe(true);
    expect(await column(`SELECT binding_id FROM binding_events WHERE kind = 'created'`)).toEqual(
      [...ids].sort(),
    );
    expect(await column('SELECT binding_id FROM binding_subscriptions')).toEqual([]);
    expect(await routingNotes()).toEqual([]);
  });

  it('a settle dequeues the pending ones and records their SubsIds; an unbinding one stays queued and the caches hear of it', async () => {
    const [pending, unbinding, settled] = await place(3);
    await sql.query(`UPDATE bindings SET state = 'unbinding' WHERE id = $1`, [unbinding]);
    await settle([settled!]);
    await routingNotes();
    // (settled by someone else meanwhile: left as it is)
    expect(await settle([pending!, unbinding!, settled!])).toEqual([pending!, unbinding!].sort());
    expect(await column(`SELECT state::text FROM bindings WHERE id = $1`, [pending])).toEqual([
      'active',
    ]);
    expect(await column(`SELECT state::text FROM bindings WHERE id = $1`, [unbinding])).toEqual([
      'unbinding',
    ]);
    expect(await column('SELECT binding_id FROM reconcile_queue')).toEqual([unbinding]);
    expect(await column('SELECT subs_id FROM binding_subscriptions')).toEqual(
      [`S-${pending}`, `S-${unbinding}`, `S-${settled}`].sort(),
    );
    // Every live binding keeps its pair.
    expect(await column('SELECT binding_id FROM live_pairs')).toEqual(
      [pending!, unbinding!, settled!].sort(),
    );
    expect(await routingNotes()).toEqual([`{"b":["${unbinding}"]}`]);
    expect(await column(`SELECT count(*)::int FROM binding_events WHERE kind = 'bound'`)).toEqual([
      3,
    ]);
  });

  it('skips the trigger and the check for its own statements only: the rest of the transaction has both', async () => {
    await sql.query('BEGIN');
    try {
      const [a, b] = await place(2);
      await settle([a!]);
      // Another writer of the record, in the same transaction: its pair still ends, its queue
      // entry goes.
      await sql.query(`UPDATE bindings SET state = 'failed', ended_at = now() WHERE id = $1`, [b]);
      expect(await column('SELECT binding_id FROM live_pairs')).toEqual([a]);
      expect(await column('SELECT binding_id FROM reconcile_queue')).toEqual([]);
      // And an event of no binding is still refused.
      await expect(
        sql.query(
          `INSERT INTO binding_events (binding_id, kind, actor) VALUES (gen_random_uuid(), 'x', 'test')`,
        ),
      ).rejects.toMatchObject({ code: '23503', constraint: 'binding_events_binding_id_fkey' });
    } finally {
      await sql.query('ROLLBACK');
    }
  });
});
