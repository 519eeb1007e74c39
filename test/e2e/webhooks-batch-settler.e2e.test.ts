import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Job } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookBatchSettler } from '../../src/webhooks/webhook-batch-settler.js';
import { WebhookQueue, type BatchDeliveryJob } from '../../src/webhooks/webhook-queue.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Batches that end together are settled in one transaction (WebhookBatchSettler); each batch job's
 * completion stays fenced to its own claim. Delivery workers are off here: the test holds the
 * claims itself, as the pump would.
 */
let t: TestApp;
let sql: pg.Client;
let queue: WebhookQueue;
let settler: WebhookBatchSettler;

beforeAll(async () => {
  t = await startTestApp({ WEBHOOKS_WORKERS_ENABLED: 'false' });
  sql = new pg.Client({ connectionString: t.config.database.url });
  await sql.connect();
  queue = t.app.get(WebhookQueue);
  settler = t.app.get(WebhookBatchSettler);
  await queue.start();
});
afterAll(async () => {
  await sql?.end();
  await t?.close();
});

/** Batch jobs for `n` endpoints (no deliveries: only the jobs' settling is looked at), claimed. */
async function claimedBatches(n: number): Promise<Array<Job<BatchDeliveryJob>>> {
  const batches = Array.from({ length: n }, () => ({
    id: randomUUID(),
    endpointId: randomUUID(),
    deliveryIds: [],
    eventIds: [],
    at: new Date(),
  }));
  await queue.insertBatches(sql, batches);
  const jobs = (await queue.fetch(100)) as Array<Job<BatchDeliveryJob>>;
  const ids = new Set<string>(batches.map((b) => b.id));
  return jobs.filter((j) => ids.has(j.id));
}

const states = async (
  jobs: ReadonlyArray<Job<BatchDeliveryJob>>,
): Promise<Array<[string, string]>> =>
  (
    await sql.query<{ id: string; state: string }>(
      `SELECT id::text, state::text FROM pgboss.job WHERE id = ANY ($1::uuid[]) ORDER BY id`,
      [jobs.map((j) => j.id)],
    )
  ).rows.map((r): [string, string] => [r.id, r.state]);

describe('settling batch jobs that end together', () => {
  it('completes them in one write', async () => {
    const jobs = await claimedBatches(3);
    expect(jobs).toHaveLength(3);
    await Promise.all(jobs.map((job) => settler.settle({ job, settled: [], handOffs: [] })));
    expect(await states(jobs)).toEqual(
      [...jobs].sort((a, b) => a.id.localeCompare(b.id)).map((j) => [j.id, 'completed']),
    );
  });

  it("refuses only the batch whose claim lapsed; the others' are written", async () => {
    const [lapsed, kept] = await claimedBatches(2);
    // pg-boss counted the first one's process gone: it waits to be run again.
    await queue.fail(lapsed!, 'claim lapsed');
    const outcomes = await Promise.allSettled([
      settler.settle({ job: lapsed!, settled: [], handOffs: [] }),
      settler.settle({ job: kept!, settled: [], handOffs: [] }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    const byId = new Map(await states([lapsed!, kept!]));
    expect(byId.get(kept!.id)).toBe('completed');
    expect(byId.get(lapsed!.id)).toBe('retry');
  });
});
