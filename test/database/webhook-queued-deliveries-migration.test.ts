import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBefore } from '../support/scratch-database.js';

/**
 * Issue 24.5: before first tries went in batches, every pending delivery had a pg-boss job of its
 * own, keyed by endpoint and binding. On upgrade each pending one holds its binding's key
 * (webhook_queued_deliveries), so the first batches after it queue that binding's later events
 * behind it instead of sending them ahead; settled ones hold nothing.
 */
const QUEUED_DELIVERIES = '20261207110000_webhook_queued_deliveries';
let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;

beforeAll(async () => {
  db = await createDatabaseBefore(QUEUED_DELIVERIES);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

async function event(bindingId: string | null, msgId: string): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data, dispatched_at)
     VALUES ($1, 'binding.created', $2, now(), '{}', now()) RETURNING id::text`,
    [msgId, bindingId],
  );
  return rows[0]!.id;
}

async function delivery(endpointId: string, eventId: string, status: string): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, created_at)
     VALUES ($1, $2, $3, $4, now())`,
    [id, endpointId, eventId, status],
  );
  return id;
}

describe('the webhook queued deliveries migration', () => {
  it("makes every pending delivery hold its binding's key (its webhook-id without a binding)", async () => {
    const endpointId = randomUUID();
    await sql.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
       VALUES ($1, 'https://example.com/hook', '{binding.created}', 'whsec_x', now(), now())`,
      [endpointId],
    );
    const binding = randomUUID();
    const waiting = await delivery(endpointId, await event(binding, 'msg_a'), 'pending');
    await delivery(endpointId, await event(binding, 'msg_b'), 'succeeded');
    await delivery(endpointId, await event(null, 'msg_c'), 'dead');
    const test = await delivery(endpointId, await event(null, 'msg_d'), 'pending');
    await db.upgrade();
    const { rows } = await sql.query(
      `SELECT delivery_id AS "deliveryId", endpoint_id AS "endpointId", order_key AS "orderKey"
         FROM webhook_queued_deliveries ORDER BY order_key`,
    );
    expect(rows).toEqual(
      [
        { deliveryId: waiting, endpointId, orderKey: binding },
        { deliveryId: test, endpointId, orderKey: 'msg_d' },
      ].sort((a, b) => a.orderKey.localeCompare(b.orderKey)),
    );
  });
});
