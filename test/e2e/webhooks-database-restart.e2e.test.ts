import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, freePort, startService } from '../../bench/support/child-service.js';
import { OwnedPostgres } from '../../bench/support/owned-postgres.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http } from '../support/test-app.js';
import { TEST_AUTH_ENV, TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';
import { bindSomeWithChange, expectAllDelivered } from '../support/webhook-faults.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Webhook delivery across a database restart, with real processes: the built service as a child
 * process on a Postgres this file owns, SIGKILLed (a crash: crash recovery on restart) while
 * tries hang at a real receiver and more jobs wait behind them, then started again. The service
 * is not restarted. Every event committed before the crash and after it is delivered, none lost,
 * each binding's in order with no gap; a request seen twice carries the same webhook-id and body.
 */
const POOL = 'FCHOOKDBRESTART';
let pgServer: OwnedPostgres;
let sim: TestSimulator;
let url: string;
let sql: pg.Pool;
let child: ChildProcess | undefined;
const receiver = new WebhookReceiver();
const logs: string[] = [];

beforeAll(async () => {
  pgServer = await OwnedPostgres.start();
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0, stockPerCity: 50 });
  url = await pgServer.migratedDatabase('hookrestart');
  sql = new pg.Pool({ connectionString: url, max: 2 });
  sql.on('error', () => undefined);
  await receiver.start();
}, 120_000);
afterAll(async () => {
  if (logs.length) console.log(logs.slice(-40).join('\n'));
  child?.kill('SIGKILL');
  if (child) await exited(child);
  await receiver.close();
  await sql?.end();
  await sim?.close();
  await pgServer?.stop();
});

describe('webhook delivery across a database restart (real processes)', () => {
  it('delivers every committed event, none lost, in order per binding, duplicates only with the same webhook-id', async () => {
    const port = String(await freePort());
    const s = await startService(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: port,
        DATABASE_URL: url,
        MIGRATE_ON_START: 'false',
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_QUERY_TIMEOUT_MS: '2000',
        ...sim.env,
        DEFAULT_POOL_KEY: POOL,
        ...TEST_AUTH_ENV,
        WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
        // A hung try gives up after 1 s; a job whose try was cut off by the crash is expired by
        // pg-boss's supervisor after 6 s and tried again.
        WEBHOOKS_TIMEOUT_MS: '1000',
        WEBHOOKS_RETRY_SCHEDULE: Array.from({ length: 15 }, () => '0.2').join(','),
        WEBHOOKS_DISPATCH_INTERVAL_MS: '20',
        // Two tries at a time: the other bindings' jobs wait in pg-boss when the database dies.
        WEBHOOKS_ENDPOINT_CONCURRENCY: '2',
      },
      (line) => logs.push(line),
      60_000,
    );
    child = s.child;
    const ep = await http<{ id: string }>('POST', `${s.url}/v1/webhooks/endpoints`, {
      url: receiver.url,
      events: ['binding.created', 'binding.changed'],
    });
    expect(ep.status).toBe(201);

    // 1. Before the crash: tries hang at the receiver, the rest wait behind them.
    receiver.answer = () => 'hang';
    const before = await bindSomeWithChange(s.url, POOL, 5);
    await until(
      async () => receiver.received.length,
      (n) => n >= 2,
      'tries hanging at the receiver',
    );
    const settledEarly = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'pending'`,
    );
    expect(settledEarly.rows[0]!.n).toBe(0);

    // 2. The database crashes; the receiver is healthy from now on (the hung tries time out).
    await pgServer.kill();
    receiver.answer = () => ({ status: 204 });
    const refused = await http(
      'POST',
      `${s.url}/v1/bindings`,
      {
        outId: 'hookrestart-away',
        phoneA: '13811009999',
        phoneB: '13911009999',
        ttlSeconds: 600,
      },
      { authorization: `Bearer ${TEST_KEYS.order}` },
    );
    expect(refused.status).toBe(503);

    // 3. Back (crash recovery), the same service process: more events, then every one arrives.
    await pgServer.restart();
    await until(
      () => http('GET', `${s.url}/health/ready`),
      (r) => r.status === 200,
      'readiness after the restart',
      { tries: 400, everyMs: 50 },
    );
    const after = await bindSomeWithChange(s.url, POOL, 3);
    await expectAllDelivered(sql, receiver, [...before, ...after], { tries: 2400, everyMs: 25 });

    // Nothing was delivered that was not committed (the bind refused while away sent nothing).
    const { rows } = await sql.query<{ msg_id: string }>(`SELECT msg_id FROM webhook_events`);
    const committed = new Set(rows.map((r) => r.msg_id));
    expect(receiver.received.every((r) => committed.has(r.id))).toBe(true);
    expect(rows).toHaveLength((before.length + after.length) * 2);
    // Every delivery recorded as succeeded: the receiver has its requests before the service has
    // written them (a batch's deliveries are written when it settles), so wait for all of them,
    // bounded.
    const settled = await until(
      async () =>
        (
          await sql.query<{ status: string; n: number }>(
            `SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`,
          )
        ).rows,
      (statuses) =>
        statuses.length === 1 &&
        statuses[0]!.status === 'succeeded' &&
        statuses[0]!.n === rows.length,
      'every delivery recorded as succeeded',
      { tries: 400, everyMs: 25 },
    );
    expect(settled).toEqual([{ status: 'succeeded', n: rows.length }]);
  }, 180_000);
});
