import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explained } from '../support/auto-explain.js';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * The functions that write rows by a set of keys (prisma/sql) keep plans per connection, made at
 * its first calls on the statistics of that moment. Made while their table was empty, a plan
 * read the whole table (a sequential scan, or a hash join over one) and kept doing so as the
 * table grew: every key lookup must stay a probe of the keys whatever the table held when the
 * plan was made. Each case here plans on an empty table of a database of its own, grows it, and
 * reads the plan of the next call.
 */
let db: { url: string; drop: () => Promise<void> };
let admin: pg.Client;

beforeAll(async () => {
  db = await createMigratedDatabase();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});

afterAll(async () => {
  await admin.end();
  await db.drop();
});

const GROWN = 5000;

/** The plan's nodes that read `table` and threw rows away by a filter: their texts. */
function filteredOn(plan: string, table: string): string[] {
  return plan
    .split(/\n(?=\s*->)/)
    .filter((node) => new RegExp(` on ${table}\\b`).test(node.split('\n')[0]!))
    .filter((node) => /Rows Removed by Filter: [1-9]/.test(node));
}

/**
 * Plans `call(keys)` on an empty `table`, lets `grow()` put GROWN rows in it, calls it on two of
 * them and checks the plan it used writes `table` by probes of the keys alone. Answers how many
 * of those two rows are still there by their key (`key`) after the call.
 */
async function planAfterGrowth(
  table: string,
  call: (client: pg.Client, keys: string[]) => Promise<void>,
  grow: () => Promise<string[]>,
  key = 'binding_id',
  fresh: () => string = () => crypto.randomUUID(),
): Promise<number> {
  await admin.query(`ANALYZE ${table}`);
  let grown: string[] = [];
  const plans = await explained(db.url, async (client) => {
    // Past the plan cache's first custom plans: the connection keeps one plan from here on.
    for (let i = 0; i < 7; i += 1) await call(client, [fresh()]);
    grown = await grow();
    await client.query('SET auto_explain.log_analyze = on');
    await call(client, grown.slice(0, 2));
  });
  const written = plans.filter((t) => new RegExp(`(Delete|Update) on ${table}\\b`).test(t));
  expect(written.length).toBeGreaterThan(0);
  const last = written.at(-1)!;
  // Both keys found, by probes of them alone.
  expect(last).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
  expect(last).toMatch(/Index Cond: [^\n]*= ANY/);
  expect(filteredOn(last, table)).toEqual([]);
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${key}::text = ANY ($1::text[])`,
    [grown.slice(0, 2)],
  );
  return rows[0]!.n;
}

/** GROWN live pairs of orders `<prefix><n>`, on 50 numbers: their binding ids. */
async function livePairs(prefix: string): Promise<string[]> {
  const { rows } = await admin.query<{ id: string }>(
    `INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
     SELECT gen_random_uuid(), 'kp', $2 || g, 'x' || (g % 50), 'a' || g, 'b' || g,
            now() + interval '1 hour'
       FROM generate_series(1, $1::int) g
     RETURNING binding_id AS id`,
    [GROWN, prefix],
  );
  return rows.map((r) => r.id);
}

describe('key lookups stay probes of their keys, whatever the table held when planned', () => {
  it('live_pairs_end(): the ending pairs, not every live pair', async () => {
    const left = await planAfterGrowth(
      'live_pairs',
      async (client, ids) => {
        await client.query('SELECT live_pairs_end($1::uuid[])', [ids]);
      },
      () => livePairs('o'),
    );
    expect(left).toBe(0);
  });

  it('live_pairs_move(): the moving pairs, not every live pair', async () => {
    const left = await planAfterGrowth(
      'live_pairs',
      async (client, ids) => {
        // The moved bindings as the record's trigger hands them on: rows of `bindings`.
        await client.query(
          `SELECT live_pairs_move(ARRAY(
             SELECT jsonb_populate_record(NULL::bindings, jsonb_build_object(
                      'id', u.id, 'pool_key', 'kp', 'out_id', 'moved-' || u.id, 'phone_x', 'x-moved',
                      'phone_a', 'a' || left(u.id::text, 8), 'phone_b', 'b' || left(u.id::text, 8),
                      'expires_at', now() + interval '2 hours'))
               FROM unnest($1::uuid[]) AS u(id)))`,
          [ids],
        );
      },
      async () => {
        await admin.query('DELETE FROM live_pairs');
        return livePairs('m');
      },
    );
    // Moved, not ended.
    expect(left).toBe(2);
    const { rows } = await admin.query<{ x: string }>(
      `SELECT DISTINCT x FROM live_pairs WHERE out_id LIKE 'moved-%'`,
    );
    expect(rows).toEqual([{ x: 'x-moved' }]);
  });

  it("x_load_hints_counted(): the full numbers' hints, not every number's", async () => {
    let n = 0;
    const left = await planAfterGrowth(
      'x_load_hints',
      async (client, numbers) => {
        await client.query(
          `SELECT x_load_hints_counted($1::text[], array_fill(200, ARRAY[cardinality($1::text[])]),
                                       now())`,
          [numbers],
        );
      },
      async () => {
        const { rows } = await admin.query<{ number: string }>(
          `INSERT INTO x_load_hints (number, pairs, counted_at)
           SELECT 'h' || lpad(g::text, 10, '0'), 3, now() FROM generate_series(1, $1::int) g
           RETURNING number`,
          [GROWN],
        );
        return rows.map((r) => r.number);
      },
      'number',
      () => `f${String((n += 1))}`,
    );
    // Both counted full now.
    expect(left).toBe(2);
  });

  it('reconcile_queue_settle(): the settled bindings, not the whole queue', async () => {
    const left = await planAfterGrowth(
      'reconcile_queue',
      async (client, ids) => {
        await client.query('SELECT reconcile_queue_settle($1::uuid[])', [ids]);
      },
      async () => {
        const { rows } = await admin.query<{ id: string }>(
          `INSERT INTO reconcile_queue (binding_id, since)
           SELECT gen_random_uuid(), now() FROM generate_series(1, $1::int)
           RETURNING binding_id AS id`,
          [GROWN],
        );
        return rows.map((r) => r.id);
      },
    );
    expect(left).toBe(0);
  });
});
