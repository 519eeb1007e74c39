import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, freePort, startService } from '../../bench/support/child-service.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TEST_AUTH_ENV } from '../support/test-keys.js';
import { http } from '../support/test-app.js';
import { until } from '../support/until.js';
import { bindSomeWithChange, expectAllDelivered } from '../support/webhook-faults.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Webhook delivery under faults, with real processes: the built service (dist/src/main.js) as a
 * child process, a real HTTP receiver here. The service is SIGKILLed while its deliveries hang at
 * the receiver; a receiver goes down and comes back. Afterwards every committed event has been
 * delivered (2xx) at least once, each binding's events arrived in the order they were committed,
 * and a repeated delivery carries the same webhook-id.
 */
const POOL = 'FCHOOKFAULT';
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Pool;
const children = new Set<ChildProcess>();
const receivers: WebhookReceiver[] = [];
const logs: string[] = [];

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0, stockPerCity: 100 });
  db = await createMigratedDatabase();
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  if (logs.length) console.log(logs.slice(-40).join('\n'));
  for (const child of children) child.kill('SIGKILL');
  for (const r of receivers) await r.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

async function service(env: Record<string, string> = {}) {
  const port = String(await freePort());
  const started = await startService(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: port,
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'false',
      ...sim.env,
      DEFAULT_POOL_KEY: POOL,
      ...TEST_AUTH_ENV,
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOKS_TIMEOUT_MS: '1000',
      WEBHOOKS_RETRY_SCHEDULE: '0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2',
      WEBHOOKS_DISPATCH_INTERVAL_MS: '20',
      ...env,
    },
    (line) => logs.push(line),
    60_000,
  );
  children.add(started.child);
  return started;
}

async function kill(child: ChildProcess) {
  child.kill('SIGKILL');
  await exited(child);
  children.delete(child);
}

describe('webhook delivery under faults (real processes)', () => {
  it('loses nothing when the service is SIGKILLed mid-delivery', async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    r.answer = () => 'hang';
    // A try waits up to 3 s for its answer here: the process is killed while the first one waits,
    // long before its batch could settle it (pg-boss runs the batch again after its expiry).
    const slow = { WEBHOOKS_TIMEOUT_MS: '3000' };
    let s = await service(slow);
    const ep = await http<{ id: string }>('POST', `${s.url}/v1/webhooks/endpoints`, {
      url: r.url,
      events: ['binding.created', 'binding.changed'],
    });
    expect(ep.status).toBe(201);
    const ids = await bindSomeWithChange(s.url, POOL, 4);
    await until(
      async () => r.received.length,
      (n) => n >= 1,
      'a delivery hanging',
    );
    await kill(s.child);
    // Claimed (its batch job active) and sent, never settled: the process died waiting.
    const hung = r.received.map((x) => x.id);
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d
         ON d.id = a.delivery_id JOIN webhook_events v ON v.id = d.event_id
        WHERE v.msg_id = ANY ($1)`,
      [hung],
    );
    expect(rows[0]!.n).toBe(0);
    r.answer = () => ({ status: 200 });
    s = await service(slow);
    await expectAllDelivered(sql, r, ids, { tries: 4000 });
    // Sent again by the next process, with the same webhook-id.
    const delivered = new Set(r.delivered.map((x) => x.id));
    for (const id of hung) expect(delivered.has(id), id).toBe(true);
    await kill(s.child);
  }, 180_000);

  it('delivers everything once a receiver that was down is back', async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    const port = r.port;
    const s = await service();
    const ep = await http<{ id: string }>('POST', `${s.url}/v1/webhooks/endpoints`, {
      url: r.url,
      events: ['binding.created', 'binding.changed'],
    });
    expect(ep.status).toBe(201);
    await r.close();
    const ids = await bindSomeWithChange(s.url, POOL, 3);
    await until(
      async () =>
        (
          await sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d
               ON d.id = a.delivery_id WHERE d.endpoint_id = $1 AND a.status_code IS NULL`,
            [ep.body.id],
          )
        ).rows[0]!.n,
      (n) => n >= 2,
      'failed tries while the receiver is down',
    );
    const back = await new WebhookReceiver().start(port);
    receivers.push(back);
    await expectAllDelivered(sql, back, ids);
    await kill(s.child);
  }, 120_000);
});
