import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, freePort, startService } from '../../bench/support/child-service.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TEST_AUTH_ENV, TEST_KEYS } from '../support/test-keys.js';
import { http } from '../support/test-app.js';
import { until } from '../support/until.js';
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

async function service() {
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

let seq = 0;
async function bindSome(url: string, n: number): Promise<string[]> {
  await http('POST', `${url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    seq += 1;
    const k = String(seq).padStart(4, '0');
    const res = await http<{ id: string }>(
      'POST',
      `${url}/v1/bindings`,
      { outId: `hookfault-${seq}`, phoneA: `1381100${k}`, phoneB: `1391100${k}`, ttlSeconds: 600 },
      { authorization: `Bearer ${TEST_KEYS.order}` },
    );
    expect(res.status).toBe(201);
    ids.push(res.body.id);
    // A second event of the same binding, so its order can be checked.
    const changed = await http('PATCH', `${url}/v1/bindings/${res.body.id}`, { ttlSeconds: 900 });
    expect(changed.status).toBe(200);
  }
  return ids;
}

/** Every committed event for the endpoint's types delivered, in order per binding. */
async function expectAllDelivered(r: WebhookReceiver, bindingIds: string[]) {
  const { rows } = await sql.query<{ msg_id: string; binding_id: string }>(
    `SELECT msg_id, binding_id FROM webhook_events WHERE binding_id = ANY($1) ORDER BY id`,
    [bindingIds],
  );
  expect(rows.length).toBe(bindingIds.length * 2);
  await until(
    async () => new Set(r.delivered.map((x) => x.id)),
    (got) => rows.every((e) => got.has(e.msg_id)),
    'every committed event delivered',
    { tries: 2000, everyMs: 25 },
  );
  for (const id of bindingIds) {
    const committed = rows.filter((e) => e.binding_id === id).map((e) => e.msg_id);
    const firstDelivered = [
      ...new Set(r.delivered.filter((x) => x.event.data.bindingId === id).map((x) => x.id)),
    ];
    expect(firstDelivered, `order of binding ${id}`).toEqual(committed);
  }
  // A request seen twice is the same event: same webhook-id, same body.
  const bodies = new Map<string, string>();
  for (const x of r.received) {
    if (bodies.has(x.id)) expect(x.body).toBe(bodies.get(x.id));
    bodies.set(x.id, x.body);
  }
}

describe('webhook delivery under faults (real processes)', () => {
  it('loses nothing when the service is SIGKILLed mid-delivery', async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    r.answer = () => 'hang';
    let s = await service();
    const ep = await http<{ id: string }>('POST', `${s.url}/v1/webhooks/endpoints`, {
      url: r.url,
      events: ['binding.created', 'binding.changed'],
    });
    expect(ep.status).toBe(201);
    const ids = await bindSome(s.url, 4);
    await until(
      async () => r.received.length,
      (n) => n >= 1,
      'a delivery hanging',
    );
    await kill(s.child);
    r.answer = () => ({ status: 200 });
    s = await service();
    await expectAllDelivered(r, ids);
    await kill(s.child);
  }, 120_000);

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
    const ids = await bindSome(s.url, 3);
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
    await expectAllDelivered(back, ids);
    await kill(s.child);
  }, 120_000);
});
