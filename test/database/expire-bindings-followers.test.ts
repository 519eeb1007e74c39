import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * expire_bindings() does what follows its own update of the record (live pairs, reconciliation
 * queue, routing caches) and writes its events without the per-statement existence check; the
 * record's trigger and that check skip its statements while `axb.expire_followed` is set
 * (prisma/sql/050_bind_path.sql, 030_binding_record.sql). These are the effects the trigger had,
 * checked on the sweep's batches and on expiries by id, and the flag's reach: nothing else in the
 * same transaction skips them. Its own database: a sweep takes every due binding there is.
 */
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let listener: pg.Client;
const notes: string[] = [];
let serial = 0;

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (n) => notes.push(n.payload ?? ''));
  await listener.query('LISTEN axb_routing_cache');
  await sql.query(`INSERT INTO pools (key) VALUES ('FCFOLLOW')`);
});
afterAll(async () => {
  await listener?.end();
  await sql?.end();
  await db?.drop();
});
beforeEach(async () => {
  await sql.query(
    `TRUNCATE bindings, binding_events, live_pairs, reconcile_queue, webhook_events CASCADE`,
  );
});

/** A binding with its pair on X (a live one), due a minute ago unless told otherwise. */
async function binding(state: string, expires = '-1 minute'): Promise<string> {
  serial += 1;
  const n = String(serial).padStart(8, '0');
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at)
     VALUES (gen_random_uuid(), 'FCFOLLOW', 'order-' || $1, '138' || $1, '139' || $1,
             '13000000001', 'S' || $1, $2::binding_state, now() + $3::interval)
     RETURNING id`,
    [n, state, expires],
  );
  return rows[0]!.id;
}

/** The routing cache notifications delivered so far (each listener gets them after commit). */
async function routingNotes(): Promise<string[]> {
  await listener.query('SELECT 1');
  return notes.splice(0);
}

describe('expire_bindings(): what follows the record', () => {
  it("a sweep's batch ends the pairs, keeps open ones due for the provider check, and tells the caches the settled ones", async () => {
    const active = await binding('active');
    const pending = await binding('pending');
    const unknown = await binding('unknown');
    const unbinding = await binding('unbinding');
    const ahead = await binding('active', '1 hour');
    // An open binding already tried by reconciliation: its attempts start over, due at once.
    await sql.query(
      `UPDATE reconcile_queue SET attempts = 3, next_at = now() + interval '1 hour'
        WHERE binding_id = $1`,
      [unknown],
    );
    await routingNotes();

    const { rows: swept } = await sql.query<{ binding_id: string; previous_state: string }>(
      `SELECT binding_id, previous_state::text
         FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true)`,
    );
    expect(new Map(swept.map((r) => [r.binding_id, r.previous_state]))).toEqual(
      new Map([
        [active, 'active'],
        [pending, 'pending'],
        [unknown, 'unknown'],
        [unbinding, 'unbinding'],
      ]),
    );

    const { rows: pairs } = await sql.query(`SELECT binding_id FROM live_pairs`);
    expect(pairs).toEqual([{ binding_id: ahead }]);
    const { rows: queue } = await sql.query<{ binding_id: string }>(
      `SELECT q.binding_id, q.attempts, q.next_at, q.since = b.updated_at AS since_change
         FROM reconcile_queue q JOIN bindings b ON b.id = q.binding_id ORDER BY q.binding_id`,
    );
    expect(queue).toEqual(
      [pending, unknown, unbinding]
        .sort()
        .map((id) => ({ binding_id: id, attempts: 0, next_at: null, since_change: true })),
    );
    const { rows: events } = await sql.query(
      `SELECT binding_id, kind, actor, details FROM binding_events ORDER BY binding_id`,
    );
    expect(events).toEqual(
      swept
        .map((r) => ({
          binding_id: r.binding_id,
          kind: 'expired',
          actor: 'sweep',
          details: { previousState: r.previous_state },
        }))
        .sort((a, b) => a.binding_id.localeCompare(b.binding_id)),
    );
    // Caches hold only settled bindings: the pending and unknown ones are in none.
    const told = (await routingNotes()).flatMap((p) => (JSON.parse(p) as { b?: string[] }).b ?? []);
    expect(told.sort()).toEqual([active, unbinding].sort());
  });

  it('an expiry the provider has confirmed leaves the queue', async () => {
    const unknown = await binding('unknown', '1 hour');
    const { rows } = await sql.query(
      `SELECT binding_id FROM expire_bindings($1::uuid[], NULL, now(), 'reconciliation', '{}',
                                              false, true)`,
      [[unknown]],
    );
    expect(rows).toEqual([{ binding_id: unknown }]);
    const { rows: queue } = await sql.query(`SELECT binding_id FROM reconcile_queue`);
    expect(queue).toEqual([]);
    const { rows: pairs } = await sql.query(`SELECT binding_id FROM live_pairs`);
    expect(pairs).toEqual([]);
  });

  it('writes binding.ended for an endpoint that wants it (not for a binding that was unbinding)', async () => {
    await sql.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
       VALUES (gen_random_uuid(), 'http://127.0.0.1:9/', '{binding.ended}', 'whsec_x', now(), now())`,
    );
    try {
      const active = await binding('active');
      await binding('unbinding');
      await sql.query(`SELECT * FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true)`);
      const { rows } = await sql.query(
        `SELECT type, binding_id, data->>'cause' AS cause FROM webhook_events`,
      );
      expect(rows).toEqual([{ type: 'binding.ended', binding_id: active, cause: 'expired' }]);
    } finally {
      await sql.query(`DELETE FROM webhook_endpoints`);
    }
  });

  it('skips the trigger and the check for its own statements only: the rest of the transaction has both', async () => {
    await binding('active');
    const other = await binding('active', '1 hour');
    await sql.query('BEGIN');
    try {
      await sql.query(`SELECT * FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true)`);
      // Another writer of the record, in the same transaction: its pair still ends.
      await sql.query(`UPDATE bindings SET state = 'unbound', ended_at = now() WHERE id = $1`, [
        other,
      ]);
      const { rows: pairs } = await sql.query(`SELECT binding_id FROM live_pairs`);
      expect(pairs).toEqual([]);
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
