import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALIDATION_CHANNEL, parseInvalidation } from '../../src/routing/cache-invalidation.js';
import { createMigratedDatabase } from '../support/scratch-database.js';

// The triggers of prisma/sql/060_routing_cache.sql, seen from a listener: what each kind of
// change notifies, in the transaction that makes it.
const POOL = 'FCTRIGGERS';
const MARKER = 'routing_cache_test_marker';
let db: { url: string; drop: () => Promise<void> };
let listener: pg.Client;
let sql: pg.Client;
let received: string[] = [];
let markerSeen: (() => void) | undefined;

beforeAll(async () => {
  db = await createMigratedDatabase();
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (message) => {
    if (message.channel === MARKER) markerSeen?.();
    else if (message.channel === INVALIDATION_CHANNEL) received.push(message.payload ?? '');
  });
  await listener.query(`LISTEN ${INVALIDATION_CHANNEL}`);
  await listener.query(`LISTEN ${MARKER}`);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city)
     VALUES ($1, '13000000001', 2, '杭州'), ($1, '13000000002', 2, '杭州')`,
    [POOL],
  );
});
afterAll(async () => {
  await listener?.end();
  await sql?.end();
  await db?.drop();
});

/** Waits until every notification committed so far has arrived (they come in commit order). */
async function caughtUp(): Promise<void> {
  const seen = new Promise<void>((resolve) => (markerSeen = resolve));
  await sql.query(`SELECT pg_notify($1, '')`, [MARKER]);
  await seen;
}

/** Runs `statement` and returns the payloads it caused, and only those. */
async function notified(statement: string, values: unknown[] = []): Promise<string[]> {
  await caughtUp();
  received = [];
  await sql.query(statement, values);
  await caughtUp();
  return received;
}

let parties = 0;
/** `count` live bindings on X with parties no other statement used, orders `<prefix>1…`. */
function insertBindings(
  count: number,
  prefix: string,
  x = '13000000001',
  state = 'active',
): string {
  const base = parties;
  parties += count;
  return `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                                expires_at)
   SELECT gen_random_uuid(), '${POOL}', '${prefix}' || g, '138' || lpad((${base} + g)::text, 8, '0'),
          '139' || lpad((${base} + g)::text, 8, '0'), '${x}', g::text, '${state}',
          now() + interval '1 hour'
     FROM generate_series(1, ${count}) g
   RETURNING id`;
}

describe('bindings', () => {
  it('a change to what routes notifies a settled binding', async () => {
    const { rows } = await sql.query<{ id: string }>(insertBindings(1, 'one-'));
    const id = rows[0]!.id;
    for (const change of [
      `phone_a = '13700009999'`,
      `phone_b = '13700009998'`,
      `phone_x = '13000000002'`,
      `expires_at = expires_at + interval '1 minute'`,
      `subs_id = 'other'`,
      `state = 'unbound'`,
    ]) {
      expect(await notified(`UPDATE bindings SET ${change} WHERE id = $1`, [id])).toEqual([
        `{"b":["${id}"]}`,
      ]);
    }
  });

  it('the bind path notifies nothing: insert, move and settle of a pending binding', async () => {
    const insert = insertBindings(1, 'bind-', '13000000001', 'pending');
    expect(await notified(insert)).toEqual([]);
    const bound = `UPDATE bindings SET phone_x = '13000000002' WHERE out_id = 'bind-1'`;
    expect(await notified(bound)).toEqual([]);
    const settle = `UPDATE bindings SET state = 'active', subs_id = 's' WHERE out_id = 'bind-1'`;
    expect(await notified(settle)).toEqual([]);
    const unknown = insertBindings(1, 'lost-', '13000000001', 'unknown');
    expect(await notified(unknown)).toEqual([]);
    expect(await notified(`UPDATE bindings SET state = 'failed' WHERE out_id = 'lost-1'`)).toEqual(
      [],
    );
  });

  it('says nothing for a change routing does not read, or one rolled back', async () => {
    await sql.query(insertBindings(1, 'quiet-'));
    expect(
      await notified(
        `UPDATE bindings SET updated_at = now(), record = true WHERE out_id = 'quiet-1'`,
      ),
    ).toEqual([]);
    expect(
      await notified(`DO $$ BEGIN
        UPDATE bindings SET state = 'expired' WHERE out_id = 'quiet-1';
        RAISE EXCEPTION 'rolled back';
      EXCEPTION WHEN raise_exception THEN NULL; END $$`),
    ).toEqual([]);
  });

  it('splits a large statement over notifications under the 8000-byte limit, naming every row', async () => {
    const { rows } = await sql.query<{ id: string }>(insertBindings(5000, 'bulk-', '13000000002'));
    const payloads = await notified(
      `UPDATE bindings SET state = 'expired', ended_at = now() WHERE out_id LIKE 'bulk-%'`,
    );
    expect(payloads.length).toBeGreaterThan(1);
    const ids = new Set<string>();
    for (const payload of payloads) {
      expect(Buffer.byteLength(payload)).toBeLessThan(8000);
      const change = parseInvalidation(payload);
      expect(change.kind).toBe('keys');
      if (change.kind === 'keys') for (const id of change.bindings) ids.add(id);
    }
    expect(ids).toEqual(new Set(rows.map((r) => r.id)));
  }, 90_000);

  it('drops everything for a statement beyond 20,000 rows, and for TRUNCATE', async () => {
    await sql.query(insertBindings(20_001, 'huge-', '13000000002'));
    expect(
      await notified(`UPDATE bindings SET state = 'expired' WHERE out_id LIKE 'huge-%'`),
    ).toEqual(['{"all":true}']);
    // An ended binding live again (no code path does this) changes what its order finds.
    expect(await notified(`UPDATE bindings SET state = 'active' WHERE out_id = 'huge-2'`)).toEqual([
      expect.stringMatching(/^\{"b":\["[0-9a-f-]{36}"\]\}$/),
      `{"o":[["${POOL}", "huge-2"]]}`,
    ]);
    expect(await notified(`DELETE FROM bindings WHERE out_id = 'huge-1'`)).toEqual([
      expect.stringMatching(/^\{"b":\["[0-9a-f-]{36}"\]\}$/),
      `{"o":[["${POOL}", "huge-1"]]}`,
    ]);
    expect(await notified(`TRUNCATE bindings CASCADE`)).toEqual(['{"all":true}']);
  }, 90_000);
});

describe('secret_numbers', () => {
  it('notifies X when its health or state changes or it is bought, not for the report time alone', async () => {
    expect(
      await notified(`UPDATE secret_numbers SET health = 'abnormal' WHERE number = '13000000001'`),
    ).toEqual(['{"x":["13000000001"]}']);
    expect(
      await notified(`UPDATE secret_numbers SET health_at = now() WHERE number = '13000000001'`),
    ).toEqual([]);
    expect(
      await notified(
        `UPDATE secret_numbers SET state = 'released', released_at = now() WHERE number = '13000000002'`,
      ),
    ).toEqual(['{"x":["13000000002"]}']);
    expect(
      await notified(
        `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, '13000000003', 2, '杭州')`,
        [POOL],
      ),
    ).toEqual(['{"x":["13000000003"]}']);
  });
});
