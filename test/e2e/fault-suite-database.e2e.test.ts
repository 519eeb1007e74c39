import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnedPostgres } from '../../bench/support/owned-postgres.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { SharedClock } from '../support/clocks.js';
import { closeBooks } from '../support/fault-books.js';
import { OrderBook, reconcileUntilSettled } from '../../bench/support/order-book.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';

/**
 * The fault suite, database side: the service's Postgres (one this file owns) killed with SIGKILL
 * in the middle of a burst of binds and restarted (crash recovery) while the burst goes on. While
 * it is away every request is answered 503 (DATABASE_UNAVAILABLE, or BIND_OUTCOME_PENDING when
 * the pending write may be recorded), never 500; afterwards, without restarting the service, the
 * order service's replays and reconciliation settle every order exactly once.
 */
const POOL = 'FCFAULTDB';
const BURST = 30;
let pgServer: OwnedPostgres;
let sim: TestSimulator;
let clock: SharedClock;
let sql: pg.Pool;
let t: TestApp;
const report: string[] = [];

beforeAll(async () => {
  pgServer = await OwnedPostgres.start();
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0, stockPerCity: 100 });
  clock = new SharedClock(sim);
  const url = await pgServer.migratedDatabase('faultsuite');
  sql = new pg.Pool({ connectionString: url, max: 2 });
  sql.on('error', () => undefined);
  t = await startTestApp(
    {
      ...sim.env,
      // Past the six held answers' wait for the kill (step 1), however busy the machine.
      PROVIDER_TIMEOUT_MS: '30000',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_QUERY_TIMEOUT_MS: '2000',
    },
    { clock, databaseUrl: url },
  );
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 4 });
});
afterAll(async () => {
  console.log(`\nfault suite (database), ${BURST} orders:\n${report.join('\n')}`);
  await t?.close();
  await sql?.end();
  await sim?.close();
  await pgServer?.stop();
});

describe('fault suite: the database', () => {
  it('killed and restarted mid-burst: 503s while away, never 500; then nothing doubled, lost or stuck', async () => {
    const book = new OrderBook(POOL, 'dbkill', 1, TEST_KEYS.all);
    const rows = async () =>
      (
        await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM bindings WHERE out_id LIKE 'dbkill-%'`,
        )
      ).rows[0]!.n;
    // 1. Six binds reach the provider, which binds them and holds its answers until the database
    //    is dead (a hold, not a latency: on a busy machine the kill can come after any fixed
    //    delay, and a bind settled before it answers 504, not 503): their settles then fail
    //    (retried within DATABASE_QUERY_TIMEOUT_MS) → 503 BIND_OUTCOME_PENDING.
    const hold = await sim.control<{ id: number }>('POST', '/faults', {
      action: 'BindAxb',
      hold: true,
      count: 6,
    });
    const inFlight = book.burst([t.url], 6, 6);
    await until(rows, (n) => n === 6, 'six binds placed and at the provider');
    await until(
      () => sim.control<{ id: number }[]>('GET', '/faults'),
      (faults) => !faults.some((f) => f.id === hold.id),
      'the six BindAxb calls held at the provider',
    );
    await pgServer.kill();
    await sim.control('DELETE', `/faults/${hold.id}`);
    // 2. While it is away, the burst goes on: 503 DATABASE_UNAVAILABLE (or BIND_OUTCOME_PENDING
    //    when the write was sent on a connection that died under it), no provider call.
    await book.burst([t.url], 12, 6, 6);
    await inFlight;
    // 3. Back (crash recovery), with no restart of the service: the rest of the burst binds.
    await pgServer.restart();
    await until(
      () => http('GET', `${t.url}/health/ready`),
      (r) => r.status === 200,
      'readiness after the restart',
      { tries: 200, everyMs: 50 },
    );
    await book.burst([t.url], BURST - 18, 6, 18);
    await sim.control('DELETE', '/faults');
    const answers = book.answers();
    report.push(
      `database killed mid-burst: answers ${JSON.stringify(answers)} ${JSON.stringify(book.codes)}`,
    );
    expect(answers['500'] ?? 0).toBe(0);
    expect(answers['no answer'] ?? 0).toBe(0);
    for (const key of Object.keys(answers)) expect(['201', '503']).toContain(key);
    for (const code of Object.keys(book.codes)) {
      expect(['503 DATABASE_UNAVAILABLE', '503 BIND_OUTCOME_PENDING']).toContain(code);
    }
    // The six in flight are pending; each of the twelve sent while it was away is either refused
    // before its write was sent (DATABASE_UNAVAILABLE) or sent on a connection that died under
    // it, which may have committed first (BIND_OUTCOME_PENDING).
    const away =
      (book.codes['503 DATABASE_UNAVAILABLE'] ?? 0) + (book.codes['503 BIND_OUTCOME_PENDING'] ?? 0);
    expect(away).toBe(18);
    expect(book.codes['503 BIND_OUTCOME_PENDING']).toBeGreaterThanOrEqual(6);

    const settle = () =>
      reconcileUntilSettled({
        db: sql,
        outIds: [...book.sent.keys()],
        forward: (ms) => clock.forward(ms),
        pass: () => t.app.get(ReconciliationJob).run(),
        stepMs: 61_000 + 900_000,
      });
    // Reconciliation first: a replay of a still-pending order waits out the provider timeout
    // (+ 1 s) in case another instance is binding it, and step 1 needs that timeout long.
    await settle();
    await book.replayUnsettled(t.url);
    await closeBooks({
      name: 'database killed mid-burst',
      book,
      url: t.url,
      db: sql,
      sim,
      poolKey: POOL,
      settle,
      report,
    });
  }, 120_000); // a Postgres killed and started again, on a busy machine
});
