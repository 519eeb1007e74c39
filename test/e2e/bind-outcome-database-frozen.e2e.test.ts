import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OwnedPostgres } from '../../bench/support/owned-postgres.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { SharedClock } from '../support/clocks.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * A bind whose pending binding may be recorded is never answered as if nothing happened: the
 * database (a Postgres this file owns) is frozen with SIGSTOP after the pending write was sent —
 * while that write itself waits for its answer, or while BindAxb is in flight — and the caller
 * is told 503 BIND_OUTCOME_PENDING (replay the same outId), not DATABASE_UNAVAILABLE (nothing
 * recorded). The write commits when the server continues; a replay answers the binding as it
 * is, and once reconciliation has bound it, as active: one binding, once.
 */
const POOL = 'FCPENDINGFROZEN';
const QUERY_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 600;
/** The longest the caller may wait while the database is frozen: the query timeout, plus a second. */
const BOUND_MS = QUERY_TIMEOUT_MS + 1000;
/** Held by the test: an insert into bindings waits for it inside place_binding(). */
const PLACE_LOCK = 26_001;

let pgServer: OwnedPostgres;
let sim: TestSimulator;
let clock: SharedClock;
let t: TestApp;
let sql: pg.Pool;

type Answer = BindingView & {
  code?: string;
  details?: { bindingId?: string; outId?: string; poolKey?: string; providerAnswer?: string };
};

beforeAll(async () => {
  pgServer = await OwnedPostgres.start();
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  clock = new SharedClock(sim);
  const url = await pgServer.migratedDatabase('pendingfrozen');
  sql = new pg.Pool({ connectionString: url, max: 3 });
  sql.on('error', () => undefined);
  t = await startTestApp(
    {
      ...sim.env,
      // Above BindAxb's injected latency (2.5 s); a replay of a pending binding waits this + 1 s.
      PROVIDER_TIMEOUT_MS: '3500',
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DATABASE_POOL_SIZE: '4',
    },
    { clock, databaseUrl: url },
  );
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
});
afterEach(async () => {
  await pgServer.thaw();
  await sim.control('DELETE', '/faults');
});
afterAll(async () => {
  await t?.close();
  await sql?.end();
  await sim?.close();
  await pgServer?.stop();
});

const order = (n: number) => ({
  poolKey: POOL,
  outId: `pf-${n}`,
  phoneA: `1380026${String(n).padStart(4, '0')}`,
  phoneB: `1390026${String(n).padStart(4, '0')}`,
  ttlSeconds: 3600,
});

async function timedBind(body: ReturnType<typeof order>) {
  const started = performance.now();
  const res = await http<Answer>('POST', `${t.url}/v1/bindings`, body);
  return { ...res, ms: performance.now() - started };
}

const rowOf = async (outId: string) =>
  (
    await sql.query<{ id: string; state: string }>(
      `SELECT id, state::text FROM bindings WHERE out_id = $1`,
      [outId],
    )
  ).rows[0];

/** Reconciliation (past its grace period) settles what the frozen moments left pending. */
async function reconcile() {
  await clock.forward(61_000);
  await t.app.get(ReconciliationJob).run();
}

/** The order's live bindings at the provider. */
const providerBindings = async (outId: string) =>
  (
    await sim.control<Array<{ outId: string; live: boolean }>>('GET', `/bindings?poolKey=${POOL}`)
  ).filter((b) => b.outId === outId && b.live);

describe('the database freezes after a bind wrote its pending binding', () => {
  it('while the pending write waits for its answer: BIND_OUTCOME_PENDING, and the replay learns the truth', async () => {
    const body = order(1);
    const lock = await sql.connect();
    await sql.query(`
      CREATE FUNCTION hold_placement() RETURNS trigger AS $$
      BEGIN PERFORM pg_advisory_xact_lock(${PLACE_LOCK}); RETURN NEW; END $$ LANGUAGE plpgsql`);
    await sql.query(`
      CREATE TRIGGER hold_placement BEFORE INSERT ON bindings FOR EACH ROW
        WHEN (NEW.out_id = '${body.outId}') EXECUTE FUNCTION hold_placement()`);
    try {
      await lock.query(`SELECT pg_advisory_lock(${PLACE_LOCK})`);
      const answered = timedBind(body);
      // The placement is on the server, inside its transaction, waiting: freeze the server now.
      await until(
        () =>
          sql.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
                AND query LIKE '%place_binding%'`,
          ),
        (r) => r.rows[0].n === 1,
        'the placement waiting on the server',
      );
      await pgServer.freeze();
      const res = await answered;
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('BIND_OUTCOME_PENDING');
      expect(res.body.details).toMatchObject({
        outId: body.outId,
        poolKey: POOL,
        providerAnswer: 'not-asked',
      });
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.ms).toBeLessThan(BOUND_MS);
    } finally {
      // The server continues: the write it held commits after all.
      await pgServer.thaw();
      await lock.query(`SELECT pg_advisory_unlock(${PLACE_LOCK})`);
      lock.release();
      // After the held write has committed: dropping a trigger of the partitioned bindings locks
      // each partition, and the write, going on, reads them all (a deadlock, seen once).
      await until(() => rowOf(body.outId), Boolean, 'the held write committed').catch(() => {});
      await sql.query(`DROP TRIGGER IF EXISTS hold_placement ON bindings`);
      await sql.query(`DROP FUNCTION IF EXISTS hold_placement()`);
    }
    const row = await until(() => rowOf(body.outId), Boolean, 'the held write committed');
    expect(row).toMatchObject({ state: 'pending' });

    // A replay answers the binding as it is (pending: the provider was never asked)…
    const replay = await http<Answer>('POST', `${t.url}/v1/bindings`, body);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: row!.id, state: 'pending' });
    // …and once reconciliation has bound it, as active; bound once at the provider.
    await reconcile();
    const settled = await http<Answer>('POST', `${t.url}/v1/bindings`, body);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ id: row!.id, state: 'active' });
    expect(await providerBindings(body.outId)).toHaveLength(1);
  });

  it('while BindAxb is in flight and its conflict cannot be recorded: BIND_OUTCOME_PENDING naming the binding', async () => {
    const body = order(2);
    // BindAxb answers a conflict on the first X, slowly: the database freezes meanwhile, so the
    // binding cannot be moved to the next X.
    await sim.control('POST', '/faults', {
      action: 'BindAxb',
      code: 'isv.BIND_CONFLICT',
      count: 1,
    });
    await sim.control('POST', '/faults', { action: 'BindAxb', latencyMs: 2500, count: 1 });
    const answered = timedBind(body);
    const placed = await until(() => rowOf(body.outId), Boolean, 'the pending binding');
    await pgServer.freeze();
    const res = await answered;
    await pgServer.thaw();
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('BIND_OUTCOME_PENDING');
    expect(res.body.details).toMatchObject({ bindingId: placed!.id, providerAnswer: 'failed' });
    expect(res.headers.get('retry-after')).toBe('2');

    // Still pending (the conflict never recorded); reconciliation binds it; the replay says so.
    expect(await rowOf(body.outId)).toMatchObject({ id: placed!.id, state: 'pending' });
    await reconcile();
    const settled = await http<Answer>('POST', `${t.url}/v1/bindings`, body);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ id: placed!.id, state: 'active' });
    expect(await providerBindings(body.outId)).toHaveLength(1);
  });
});
