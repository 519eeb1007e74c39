import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/common/project-root.js';
import { freePort } from '../support/free-port.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TEST_AUTH_ENV } from '../support/test-keys.js';
import { until } from '../support/until.js';

/**
 * Kill the consumer mid-message (a real process, SIGKILL): the message stays in the queue, comes
 * back after its visibility timeout, and the next consumer applies it once. "Mid-message" is made
 * certain, not timed: the test holds a row lock the handler's insert must wait for, and kills the
 * process once Postgres shows it waiting.
 */
const MAIN = join(PROJECT_ROOT, 'dist', 'src', 'main.js');
const POOL = 'FCCRASHCONSUMER';
const CALL_ID = `crash-${Date.now().toString(36)}`;

let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
const children: ChildProcess[] = [];
const logs: Array<() => string> = [];

/** The built service as a process, consuming SecretReport from the simulator's queue. */
async function startConsumer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'false',
      ...sim.env,
      ...sim.mnsEnv,
      DEFAULT_POOL_KEY: POOL,
      MNS_MESSAGE_TYPES: 'SecretReport',
      MNS_WAIT_SECONDS: '1',
      API_KEYS: TEST_AUTH_ENV.API_KEYS!,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(
    async () => output,
    (text) => text.includes('listening') || child.exitCode !== null,
    'the consumer process to listen',
    { tries: 1500 },
  );
  if (child.exitCode !== null) throw new Error(`consumer exited:\n${output}`);
  logs.push(() => output);
  return child;
}

type QueuedMessage = { messageId: string; dequeueCount: number; nextVisibleTime: number };
const queued = () => sim.control<QueuedMessage[]>('GET', '/mns/queues/SecretReport/messages');

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], mnsVisibilityTimeoutMs: 1_500 });
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state, expires_at)
     VALUES (gen_random_uuid(), $1, 'crash-order', '13800660001', '13900660001', '17100660001', 'crash-subs',
             'active', now() + interval '1 hour')`,
    [POOL],
  );
});
afterAll(async () => {
  if (process.env.DEBUG_CRASH) for (const log of logs) console.log(log());
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

describe('a consumer killed mid-message', () => {
  it('leaves the message to come back after its visibility timeout, and it is applied once', async () => {
    const first = await startConsumer();
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // The handler's insert of this call_id must wait for this uncommitted row (of the same
      // binding: call_records is partitioned by binding, its key is (call_id, binding_id)).
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO call_records (call_id, binding_id, raw)
         SELECT $1, id, '{}' FROM bindings WHERE out_id = 'crash-order'`,
        [CALL_ID],
      );
      await sim.control('POST', '/mns/queues/SecretReport/messages', {
        body: { call_id: CALL_ID, sub_id: 'crash-subs', call_type: 0, release_cause: 16 },
      });
      const waiting = await until(
        async () =>
          (
            await sql.query<{ pid: number }>(
              // Waiting for our transaction: the only lock wait in this database.
              `SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`,
            )
          ).rows,
        (rows) => rows.length > 0,
        'the consumer waiting inside its insert',
        { tries: 1000 },
      );
      const exited = new Promise((resolve) =>
        first.once('exit', (_code, signal) => resolve(signal)),
      );
      first.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // Postgres ends the dead client's session (as it would on noticing the closed socket).
      for (const { pid } of waiting) await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }

    // Received once, not deleted: it is in the queue, inactive until its visibility timeout.
    const [held] = await queued();
    expect(held).toMatchObject({ dequeueCount: 1 });
    expect(
      (await sql.query('SELECT 1 FROM call_records WHERE call_id = $1', [CALL_ID])).rowCount,
    ).toBe(0);

    const second = await startConsumer();
    await until(queued, (messages) => messages.length === 0, 'the message handled and deleted', {
      tries: 1000,
    });
    const records = await sql.query<{ binding_id: string }>(
      'SELECT binding_id FROM call_records WHERE call_id = $1',
      [CALL_ID],
    );
    expect(records.rowCount).toBe(1);
    const events = await sql.query(
      `SELECT 1 FROM binding_events WHERE kind = 'call_recorded' AND details->>'callId' = $1`,
      [CALL_ID],
    );
    expect(events.rowCount).toBe(1);
    const queues = await sim.control<Array<{ type: string; sent: number; deleted: number }>>(
      'GET',
      '/mns/queues',
    );
    expect(queues.find((q) => q.type === 'SecretReport')).toMatchObject({ sent: 1, deleted: 1 });
    const deadLetters = await sql.query('SELECT 1 FROM dead_letters');
    expect(deadLetters.rowCount).toBe(0);
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
  }, 120_000);
});
