import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { WebhookDatabase } from '../../src/webhooks/webhook-database.js';
import { DELIVERY_SESSION_OPTIONS } from '../../src/webhooks/webhook-database.js';

let db: WebhookDatabase;
beforeAll(() => {
  db = new WebhookDatabase(loadConfig({ DATABASE_URL: inject('databaseUrl') }));
});
afterAll(async () => {
  await db.onApplicationShutdown();
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
 * HOT (no new entries in the table's three indexes). Filled to 100 %, one update in ten was.
 */
describe('webhook_deliveries', () => {
  it('keeps room on its pages for its rows updated in place (fillfactor 80)', async () => {
    const { rows } = await db.pool.query<{ options: string[] | null }>(
      `SELECT reloptions AS options FROM pg_class WHERE oid = 'webhook_deliveries'::regclass`,
    );
    expect(rows[0]?.options).toContain('fillfactor=80');
  });
});
