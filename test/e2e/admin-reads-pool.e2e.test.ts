import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { AdminReadsDatabase } from '../../src/prisma/admin-reads.database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * Issue 27, finding 5 / requirement 6: admin history reads run on their own pool with their own
 * statement timeout, so a burst of heavy searches cannot take the connections binds and routing
 * lookups need. The reads are held, not slowed: the test keeps `call_records` locked (a search
 * counts each found binding's calls there; a binding's detail lists them), so every admin read
 * that reaches it waits for as long as the test decides, while binds and lookups never touch it.
 * Instance 1 has two connections for the service and two for admin reads; instance 2 (same
 * database) cancels admin reads after 300 ms.
 */
const POOL = 'FCADMINREADS';
let sim: TestSimulator;
let one: TestApp;
let two: TestApp;
let sql: pg.Client;
let locker: pg.Client | undefined;
let binding: BindingView;
let seq = 0;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  one = await startTestApp({
    ...sim.env,
    DATABASE_POOL_SIZE: '2',
    ADMIN_DATABASE_POOL_SIZE: '2',
    ADMIN_DATABASE_POOL_MAX_WAITING: '1',
    // No statement gives up on its own while the test holds the reads: the lock decides. A
    // caller waits at most 5 s for a connection (a lookup without one would answer 503).
    ADMIN_STATEMENT_TIMEOUT_MS: '120000',
    DATABASE_STATEMENT_TIMEOUT_MS: '120000',
    DATABASE_QUERY_TIMEOUT_MS: '120000',
    DATABASE_CONNECT_TIMEOUT_MS: '5000',
    ROUTING_CACHE_TTL_MS: '0',
  });
  const url = one.config.database.url!;
  two = await startTestApp({ ...sim.env, ADMIN_STATEMENT_TIMEOUT_MS: '300' }, { databaseUrl: url });
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await http('POST', `${one.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
  binding = await bind();
});
afterEach(async () => {
  await release();
});
afterAll(async () => {
  await release();
  await sql?.end();
  await two?.close();
  await one?.close();
  await sim?.close();
});

async function bind(): Promise<BindingView> {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  const res = await http<BindingView>('POST', `${one.url}/v1/bindings`, {
    outId: `admin-reads-${seq}`,
    phoneA: `1380000${n}`,
    phoneB: `1390000${n}`,
    ttlSeconds: 3600,
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** Holds every statement that reads call_records until release(). */
async function hold(): Promise<void> {
  locker = new pg.Client({ connectionString: one.config.database.url! });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE call_records IN ACCESS EXCLUSIVE MODE');
}
async function release(): Promise<void> {
  if (!locker) return;
  await locker.query('COMMIT');
  await locker.end();
  locker = undefined;
}
const waitingOnTheLock = async () =>
  Number(
    (
      await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    ).rows[0]!.n,
  );
const search = (app: TestApp) =>
  http<{ items: BindingView[]; code?: string }>(
    'GET',
    `${app.url}/v1/bindings?outId=${binding.outId}&view=masked`,
  );

describe('a burst of admin reads', () => {
  it('holds only the admin pool: lookups and binds get their connections and answer', async () => {
    await hold();
    // Two reads take both admin connections and stay there.
    const held = [search(one), search(one)];
    await until(waitingOnTheLock, (n) => n >= 2, 'two admin reads held on the lock');

    // The call path is untouched: a lookup read from the database, and a whole bind.
    const lookup = await http<{ dial: string; status: number }>(
      'POST',
      `${one.url}/v1/routing/lookup`,
      { bindingId: binding.id, callerNo: binding.phoneA },
    );
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ dial: binding.phoneX, status: 1 });
    const other = await bind();
    expect(other.state).toBe('active');
    expect((await http('GET', `${one.url}/health/ready`)).status).toBe(200);

    // A third admin read waits for one of the admin connections; beyond the admin queue, the
    // next is refused at once instead of queueing behind them.
    const queued = search(one);
    const admin = one.app.get(AdminReadsDatabase);
    await until(
      async () => admin.stats(),
      (s) => s.waiting >= 1,
      'a third admin read waiting',
    );
    const refused = await search(one);
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('HISTORY_READS_BUSY');
    expect(refused.headers.get('retry-after')).toBe('1');
    // ... the first two still held all along.
    expect(await waitingOnTheLock()).toBeGreaterThanOrEqual(2);
    expect(admin.stats()).toMatchObject({ total: 2, waiting: 1 });

    await release();
    for (const res of await Promise.all([...held, queued])) {
      expect(res.status).toBe(200);
      expect(res.body.items.map((b) => b.id)).toEqual([binding.id]);
    }
  });

  it('are cancelled past their statement timeout: 504 HISTORY_READ_TIMEOUT, and the next one answers', async () => {
    await hold();
    const listed = await search(two);
    expect(listed.status).toBe(504);
    expect(listed.body.code).toBe('HISTORY_READ_TIMEOUT');
    const detail = await http<{ code: string }>(
      'GET',
      `${two.url}/v1/bindings/${binding.id}?view=masked`,
    );
    expect(detail).toMatchObject({ status: 504, body: { code: 'HISTORY_READ_TIMEOUT' } });
    await release();
    expect((await search(two)).status).toBe(200);
  });
});
