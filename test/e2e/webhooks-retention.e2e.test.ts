import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookEndpointWithSecretView } from '../../src/webhooks/webhook.views.js';
import { WebhookRetentionJob } from '../../src/webhooks/webhook-retention.job.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The outbox's retention (WEBHOOK_RETENTION_DAYS), on a clock the test moves: settled deliveries
 * (delivered, dead) older than the retention go with their events, pending ones and younger ones
 * stay, a dead one stays replayable until then; two instances share the database and a pass runs
 * in one of them at a time.
 */
const DAY = 86_400_000;
const clock = new TestClock();
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let one: TestApp;
let two: TestApp;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const env = {
    WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOKS_DISPATCH_INTERVAL_MS: '20',
    // A failed try waits an hour (of real time, pg-boss's) for the next: it stays pending.
    WEBHOOKS_RETRY_SCHEDULE: '3600',
    WEBHOOK_RETENTION_DAYS: '30',
  };
  one = await startTestApp(env, { clock, databaseUrl: db.url });
  two = await startTestApp(
    { ...env, WEBHOOKS_WORKERS_ENABLED: 'false' },
    {
      clock,
      databaseUrl: db.url,
    },
  );
  await receiver.start();
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await receiver.close();
  await sql?.end();
  await db?.drop();
});

/** An endpoint on the receiver whose every request is answered `status` (by its path). */
async function endpoint(name: string): Promise<string> {
  const res = await http<WebhookEndpointWithSecretView>(
    'POST',
    `${one.url}/v1/webhooks/endpoints`,
    {
      url: `${receiver.url}/${name}`,
      events: ['binding.created'],
    },
  );
  expect(res.status).toBe(201);
  return res.body.id;
}

async function testEvent(endpointId: string): Promise<string> {
  const res = await http<{ deliveryId: string }>(
    'POST',
    `${one.url}/v1/webhooks/endpoints/${endpointId}/test`,
  );
  expect(res.status).toBe(202);
  return res.body.deliveryId;
}

const statusOf = async (deliveryId: string) =>
  (
    await sql.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    )
  ).rows[0];

const counts = async () =>
  (
    await sql.query<{ events: number; deliveries: number; attempts: number }>(
      `SELECT (SELECT count(*) FROM webhook_events)::int AS events,
              (SELECT count(*) FROM webhook_deliveries)::int AS deliveries,
              (SELECT count(*) FROM webhook_attempts)::int AS attempts`,
    )
  ).rows[0]!;

describe('webhook outbox retention', () => {
  it('prunes settled deliveries older than WEBHOOK_RETENTION_DAYS with their events, keeps the rest, one instance at a time', async () => {
    const paths = new Map<string, number>([
      ['ok', 204],
      ['failing', 500],
      ['gone', 410],
    ]);
    const ids = {
      ok: await endpoint('ok'),
      failing: await endpoint('failing'),
      gone: await endpoint('gone'),
    };
    const byEndpoint = new Map(Object.entries(ids).map(([name, id]) => [id, paths.get(name)!]));
    receiver.answer = (r) => {
      const { endpointId } = r.event.data as { endpointId: string };
      return { status: byEndpoint.get(endpointId) ?? 204 };
    };

    // Day 0: one delivered, one pending (failed once, next try in an hour), one dead (410).
    const old = {
      ok: await testEvent(ids.ok),
      failing: await testEvent(ids.failing),
      gone: await testEvent(ids.gone),
    };
    await until(
      async () => [await statusOf(old.ok), await statusOf(old.failing), await statusOf(old.gone)],
      ([ok, failing, gone]) =>
        ok?.status === 'succeeded' && failing?.attempts === 1 && gone?.status === 'dead',
      'the day-0 deliveries settled (or failed once)',
    );
    expect((await statusOf(old.failing))!.status).toBe('pending');
    const job = (t: TestApp) => t.app.get(WebhookRetentionJob);

    // Day 29: nothing is old enough; a new delivery is made.
    clock.advance(29 * DAY);
    expect(await job(one).run()).toEqual({ events: 0, deliveries: 0, batches: 1 });
    expect((await statusOf(old.gone))!.status).toBe('dead');
    await http('PATCH', `${one.url}/v1/webhooks/endpoints/${ids.gone}`, { enabled: true });
    byEndpoint.set(ids.gone, 204);
    const young = await testEvent(ids.ok);
    await until(
      () => statusOf(young),
      (s) => s?.status === 'succeeded',
      'the day-29 delivery',
    );
    const before = await counts();
    expect(before).toMatchObject({ events: 4, deliveries: 4 });

    // Day 31. Another holder of the pass (an instance mid-pass): this one prunes nothing.
    clock.advance(2 * DAY);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(hashtext('axb_webhooks_retention'))`);
    expect(await job(one).run()).toEqual({ busy: 1 });
    expect(await counts()).toEqual(before);
    await holder.end();

    // Both instances at once: the delivered and the dead day-0 deliveries go (with their tries
    // and events), once; the pending one and the day-29 one stay. (The dead one's 410 is a try's
    // row; the delivered one's try is on its own row.)
    const runs = await Promise.all([job(one).run(), job(two).run()]);
    const did = runs.filter((r) => (r.deliveries ?? 0) > 0);
    expect(did).toHaveLength(1);
    expect(did[0]).toMatchObject({ deliveries: 2, events: 2 });
    for (const r of runs) if (r !== did[0]) expect(r.deliveries ?? 0).toBe(0);
    expect(await statusOf(old.ok)).toBeUndefined();
    expect(await statusOf(old.gone)).toBeUndefined();
    expect((await statusOf(old.failing))!.status).toBe('pending');
    expect((await statusOf(young))!.status).toBe('succeeded');
    const after = await counts();
    expect(after).toEqual({
      events: 2,
      deliveries: 2,
      attempts: before.attempts - 1,
    });
    // The dead one was replayable until pruned; now it is gone.
    const replay = await http('POST', `${one.url}/v1/webhooks/deliveries/${old.gone}/replay`);
    expect(replay.status).toBe(404);
    // The next pass finds nothing more.
    expect(await job(two).run()).toMatchObject({ events: 0, deliveries: 0 });
  });
});
