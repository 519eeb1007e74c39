import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { WebhookDatabase } from '../../src/webhooks/webhook-database.js';
import { DELIVERY_SESSION_OPTIONS } from '../../src/webhooks/webhook-database.js';

let db: WebhookDatabase;
beforeAll(() => {
  db = new WebhookDatabase(loadConfig({ DATABASE_URL: inject('databaseUrl') }));
});
afterAll(async () => {
  await db.beforeApplicationShutdown();
});

/**
 * Delivery's bookkeeping (dispatch, a try's record, pg-boss's job states) commits without
 * waiting for its WAL flush: a crash of the database loses at most its last commits, whole and
 * in order, which leaves events undispatched or deliveries pending, both sent again with the
 * same webhook-id (README: Events to subscribers). The event itself is the change's own
 * transaction's, and durable. These sessions (the webhook pool's, and pg-boss's, which is given
 * the same options) must have it set, or every delivery waits on the disk with the binds.
 */
describe("the delivery machinery's sessions", () => {
  it('commit without waiting for the flush, JIT off', async () => {
    const { rows } = await db.pool.query<{ sync: string; jit: string }>(
      `SELECT current_setting('synchronous_commit') AS sync, current_setting('jit') AS jit`,
    );
    expect(rows[0]).toEqual({ sync: 'off', jit: 'off' });
    expect(DELIVERY_SESSION_OPTIONS).toContain('synchronous_commit=off');
  });
});

/**
 * Recording a try changes no indexed column of its delivery: with room on the page the update is
 * HOT (no new entries in the table's three indexes). Filled to 100 %, one update in ten was; at
 * 80 %, one in five of a dispatch pass's rows.
 */
describe('webhook_deliveries', () => {
  it('keeps room on its pages for its rows updated in place (fillfactor 50)', async () => {
    const { rows } = await db.pool.query<{ options: string[] | null }>(
      `SELECT reloptions AS options FROM pg_class WHERE oid = 'webhook_deliveries'::regclass`,
    );
    expect(rows[0]?.options).toContain('fillfactor=50');
  });

  it("updates a dispatch pass's deliveries in place when their tries are recorded (HOT)", async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows: ep } = await client.query<{ id: string }>(
        `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
         VALUES (gen_random_uuid(), 'http://hot.test/', '{binding.created}', 'whsec_x', now(), now())
         RETURNING id`,
      );
      // As a pass makes them: 600 deliveries in one statement, on fresh pages.
      await client.query(
        `WITH ev AS (
           INSERT INTO webhook_events (msg_id, type, occurred_at, data)
           SELECT webhook_msg_id(), 'binding.created', now(), '{"bindingId":"x"}'::jsonb
             FROM generate_series(1, 600)
           RETURNING id
         )
         INSERT INTO webhook_deliveries (id, endpoint_id, event_id, created_at)
         SELECT gen_random_uuid(), $1, ev.id, now() FROM ev`,
        [ep[0]!.id],
      );
      // As a try's record does (the repository's statement, without its attempt rows).
      await client.query(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = 204,
                status = 'succeeded', completed_at = now()
          WHERE endpoint_id = $1`,
        [ep[0]!.id],
      );
      const { rows } = await client.query<{ upd: number; hot: number }>(
        `SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_xact_user_tables
          WHERE relid = 'webhook_deliveries'::regclass`,
      );
      expect(rows[0]!.upd).toBe(600);
      // (87 % here: a try's record makes the row a little longer; at fillfactor 80, 22 %)
      expect(rows[0]!.hot).toBeGreaterThanOrEqual(0.8 * 600);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
