import pg from 'pg';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routingNotesDatabase } from '../support/routing-notes-database.js';

/**
 * expire_bindings() does what follows its own update of the record (live pairs, reconciliation
 * queue, routing caches) and writes its events without the per-statement existence check: it aims
 * both at the record's partitions, where the parents' triggers do not fire, and the partitions'
 * guard lets them through while `axb.expire_followed` is set (prisma/sql/050_bind_path.sql,
 * 030_binding_record.sql, 090_history_partitions.sql). These are the effects the trigger had,
 * checked on the sweep's batches and on expiries by id, and the flag's reach: nothing else in the
 * same transaction skips them. Its own database: a sweep takes every due binding there is.
 */
const fixture = routingNotesDatabase(async (client) => {
  await client.query(`INSERT INTO pools (key) VALUES ('FCFOLLOW')`);
});
let sql: pg.Client;
let serial = 0;
beforeAll(() => {
  sql = fixture.sql;
});
const routingNotes = () => fixture.routingNotes();
beforeEach(async () => {
  await sql.query(
    `TRUNCATE bindings, binding_events, live_pairs, reconcile_queue, webhook_events CASCADE`,
  );
});

/**
 * A binding with its pair on X (a live one), due a minute ago unless told otherwise; its id a v4
 * one (a binding made before the record was partitioned: in DEFAULT) unless `month` names the
 * time its id carries (in that month's partition).
 */
async function binding(state: string, expires = '-1 minute', month?: string): Promise<string> {
  serial += 1;
  const n = String(serial).padStart(8, '0');
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at)
     VALUES (CASE WHEN $4::interval IS NULL THEN gen_random_uuid()
                  ELSE binding_id_at(now() + $4::interval) END,
             'FCFOLLOW', 'order-' || $1, '138' || $1, '139' || $1,
             '13000000001', 'S' || $1, $2::binding_state, now() + $3::interval)
     RETURNING id`,
    [n, state, expires, month ?? null],
  );
  return rows[0]!.id;
}

/** The partition of `table` that holds the binding's row (its events: one of them). */
async function partitionOf(table: string, key: string, id: string): Promise<string> {
  const { rows } = await sql.query<{ part: string }>(
    `SELECT tableoid::regclass::text AS part FROM ${table} WHERE ${key} = $1 LIMIT 1`,
    [id],
  );
  return rows[0]!.part;
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

  it('tells the caches every id of a batch of active bindings, in notifications Postgres takes', async () => {
    // (routing_cache_publish_ids(): the ids cut into chunks by count; 400 of them is three)
    const { rows: made } = await sql.query<{ id: string }>(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                             expires_at)
       SELECT gen_random_uuid(), 'FCFOLLOW', 'bulk-' || g, '137' || lpad(g::text, 8, '0'),
              '136' || lpad(g::text, 8, '0'), '13000000002', 'S' || g, 'active',
              now() - interval '1 minute'
         FROM generate_series(1, 400) g
       RETURNING id`,
    );
    await routingNotes();
    const { rows: swept } = await sql.query(
      `SELECT binding_id FROM expire_bindings(NULL, 1000, now(), 'sweep', '{}', true)`,
    );
    expect(swept.length).toBe(400);
    const notes = await routingNotes();
    expect(notes.length).toBe(3);
    for (const note of notes) expect(Buffer.byteLength(note)).toBeLessThan(8000);
    const told = notes.flatMap((p) => {
      const parsed = JSON.parse(p) as Record<string, string[]>;
      expect(Object.keys(parsed)).toEqual(['b']);
      return parsed.b!;
    });
    expect(told.sort()).toEqual(made.map((r) => r.id).sort());
  });

  it("commits a sweep's batch without waiting for its WAL flush only when no endpoint is owed its events", async () => {
    // (a lost batch is swept again; a webhook sent for a lost event could not be taken back)
    const setting = async () =>
      (await sql.query<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`)).rows[0]!
        .s;
    const inTransaction = async (statement: string, values: unknown[] = []) => {
      await sql.query('BEGIN');
      try {
        await sql.query(statement, values);
        return await setting();
      } finally {
        await sql.query('ROLLBACK');
      }
    };
    const due = await binding('active');
    const sweep = `SELECT * FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true)`;
    expect(await inTransaction(sweep)).toBe('off');
    // Only for that transaction; an expiry by id (inside a bind, an update, a lookup) keeps the
    // caller's.
    expect(await setting()).toBe('on');
    expect(
      await inTransaction(
        `SELECT * FROM expire_bindings($1::uuid[], NULL, now(), 'test', '{}', true)`,
        [[due]],
      ),
    ).toBe('on');
    await sql.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
       VALUES (gen_random_uuid(), 'http://127.0.0.1:9/', '{binding.ended}', 'whsec_x', now(), now())`,
    );
    try {
      expect(await inTransaction(sweep)).toBe('on');
    } finally {
      await sql.query(`DELETE FROM webhook_endpoints`);
    }
  });

  it("ends a batch that spans partitions in each binding's own partition, its event in the events' namesake", async () => {
    // The update and the events are aimed at the partitions the locked rows are in (050).
    const old = await binding('active');
    const thisMonth = await binding('active', '-1 minute', '0 days');
    const nextMonth = await binding('unbinding', '-1 minute', '1 month');
    const { rows } = await sql.query<{ binding_id: string; previous_state: string }>(
      `SELECT binding_id, previous_state::text
         FROM expire_bindings(NULL, 100, now(), 'sweep', '{"why": "due"}', true)`,
    );
    expect(rows.length).toBe(3);
    const placed: Array<[string, string, string]> = [];
    for (const id of [old, thisMonth, nextMonth])
      placed.push([
        await partitionOf('bindings', 'id', id),
        await partitionOf('binding_events', 'binding_id', id),
        id,
      ]);
    expect(placed[0]!.slice(0, 2)).toEqual(['bindings_default', 'binding_events_default']);
    for (const [part, events] of placed.slice(1)) {
      expect(part).toMatch(/^bindings_p\d{4}_\d{2}$/);
      expect(events).toBe(part.replace('bindings', 'binding_events'));
    }
    expect(placed[1]![0]).not.toBe(placed[2]![0]);
    const { rows: ended } = await sql.query(
      `SELECT b.id, b.state::text AS state, b.ended_at = e.at AS same_time, e.kind, e.details
         FROM bindings b JOIN binding_events e ON e.binding_id = b.id ORDER BY b.id`,
    );
    expect(ended).toEqual(
      [
        [old, 'active'],
        [thisMonth, 'active'],
        [nextMonth, 'unbinding'],
      ]
        .sort(([a], [b]) => a!.localeCompare(b!))
        .map(([id, previousState]) => ({
          id,
          state: 'expired',
          same_time: true,
          kind: 'expired',
          details: { why: 'due', previousState },
        })),
    );
    const { rows: pairs } = await sql.query(`SELECT binding_id FROM live_pairs`);
    expect(pairs).toEqual([]);
  });

  it("takes only its stripe's due bindings (by the id's last byte), the stripes together all of them", async () => {
    const due: string[] = [];
    for (let i = 0; i < 12; i += 1) due.push(await binding('active'));
    const stripe = (id: string) => parseInt(id.slice(-2), 16) % 3;
    const taken: string[][] = [];
    for (const index of [0, 1, 2]) {
      const { rows } = await sql.query<{ binding_id: string }>(
        `SELECT binding_id FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true, false, $1, 3)`,
        [index],
      );
      taken.push(rows.map((r) => r.binding_id).sort());
    }
    expect(taken).toEqual(
      [0, 1, 2].map((index) => due.filter((id) => stripe(id) === index).sort()),
    );
    const { rows: pairs } = await sql.query(`SELECT binding_id FROM live_pairs`);
    expect(pairs).toEqual([]);
  });

  it("takes a stripe's due pairs from p_due_from on, and tells how far its batch went", async () => {
    // (a worker's next batch starts there instead of walking the deleted pairs again)
    const ids: string[] = [];
    for (const m of [6, 5, 4, 3, 2, 1]) ids.push(await binding('active', `-${m} minutes`));
    const expiry = async (id: string) =>
      (await sql.query<{ at: Date }>(`SELECT expires_at AS at FROM bindings WHERE id = $1`, [id]))
        .rows[0]!.at;
    const batch = async (from: Date | null) =>
      (
        await sql.query<{ binding_id: string; due_through: Date }>(
          `SELECT binding_id, due_through
             FROM expire_bindings(NULL, 3, now(), 'sweep', '{}', true, false, 0, 1, $1)`,
          [from],
        )
      ).rows;
    const first = await batch(null);
    expect(first.map((r) => r.binding_id).sort()).toEqual(ids.slice(0, 3).sort());
    for (const r of first) expect(r.due_through).toEqual(await expiry(ids[2]!));
    // From a later expiry on: the one before it is passed over, left for the next run.
    const later = await batch(await expiry(ids[4]!));
    expect(later.map((r) => r.binding_id).sort()).toEqual(ids.slice(4).sort());
    expect((await batch(null)).map((r) => r.binding_id)).toEqual([ids[3]]);
    // By id, no batch: nothing to tell.
    const other = await binding('active');
    const { rows } = await sql.query(
      `SELECT due_through FROM expire_bindings($1::uuid[], NULL, now(), 'test', '{}', true)`,
      [[other]],
    );
    expect(rows).toEqual([{ due_through: null }]);
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
      const monthly = await binding('active', '-1 minute', '0 days');
      await sql.query(`SELECT * FROM expire_bindings(NULL, 100, now(), 'sweep', '{}', true)`);
      const { rows } = await sql.query(
        `SELECT type, binding_id, data->>'cause' AS cause FROM webhook_events ORDER BY binding_id`,
      );
      expect(rows).toEqual(
        [active, monthly]
          .sort()
          .map((id) => ({ type: 'binding.ended', binding_id: id, cause: 'expired' })),
      );
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
