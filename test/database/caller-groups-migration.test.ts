import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBefore } from '../support/scratch-database.js';

/**
 * Issue 27.3: bindings made before owners were kept get, on migration, the name of the key that
 * made them (their `created` event's actor), so their order service keeps acting on them; one
 * with no such event keeps no owner (an admin's only). Keys get no group (their own name).
 */
const CALLER_GROUPS = '20261207030000_caller_groups';
let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;

beforeAll(async () => {
  db = await createDatabaseBefore(CALLER_GROUPS);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

async function oldBinding(outId: string, creator: string | null): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at,
                           ended_at, updated_at)
     VALUES ($1, 'FCGROUPS', $2, '13800000001', '13900000001', 'failed', now(), now(), now())`,
    [id, outId],
  );
  if (creator)
    await sql.query(
      `INSERT INTO binding_events (binding_id, kind, actor, at, details)
       VALUES ($1, 'created', $2, now(), '{}'), ($1, 'failed', 'reconciliation', now(), '{}')`,
      [id, creator],
    );
  return id;
}

describe('the caller groups migration', () => {
  it("gives each binding its creator's name as owner; keys keep no group", async () => {
    await sql.query(`INSERT INTO pools (key) VALUES ('FCGROUPS')`);
    await sql.query(
      `INSERT INTO api_keys (name, prefix, secret_hash, roles, source, created_at)
       VALUES ('order-service', 'abcdEFGH', repeat('0', 64), '{order}', 'cli', now())`,
    );
    const made = await oldBinding('o-1', 'order-service');
    const other = await oldBinding('o-2', 'rival-orders');
    const orphan = await oldBinding('o-3', null);

    await db.upgrade();
    const { rows } = await sql.query<{ id: string; owner: string | null }>(
      `SELECT id, owner FROM bindings`,
    );
    const owners = Object.fromEntries(rows.map((r) => [r.id, r.owner]));
    expect(owners).toEqual({ [made]: 'order-service', [other]: 'rival-orders', [orphan]: null });
    const keys = await sql.query(`SELECT name, caller_group FROM api_keys`);
    expect(keys.rows).toEqual([{ name: 'order-service', caller_group: null }]);
  });
});
