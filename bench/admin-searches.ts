/**
 * Admin searches against the call path (issue 27, finding 5: twenty concurrent wide searches over
 * 300k bindings had pushed routing lookups from 2 ms to 0.5–1.8 s). Target: routing lookups' p99
 * during 20 concurrent wide searches within 2x of their p99 when idle.
 *
 * One process: Postgres (DATABASE_URL's server, else embedded), the simulator on a worker thread,
 * the service through the real bootstrap() on the main thread with its routing cache off (every
 * lookup reads the binding from the database and asks QueryCallStatus: the lookups that need a
 * connection), each load on its own worker thread (bench/support). The table holds SEED ended
 * bindings (a few hundred thousand; the oldest third on one hot X, so a search by that X must
 * gather and sort 100k rows) plus LOOKUP_BINDINGS live ones bound through the API. Each run
 * measures lookups at a fixed offered rate (latency from each request's due time) twice, back to
 * back: idle, then while SEARCHERS clients search the hot X in a closed loop (`view=masked`, 100 a
 * page, as the console lists them). Medians over the runs, with the median of the per-run p99
 * ratios against the target.
 *
 *   npm run build && node dist/bench/admin-searches.js
 *   BENCH_RUNS=3 BENCH_SECONDS=10 BENCH_RATE=100 SEED=300000 SEARCHERS=20 LOOKUP_BINDINGS=200
 *   ADMIN_POOLS=1,2 (comma-separated: one series per ADMIN_DATABASE_POOL_SIZE) DATABASE_URL=…
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { POOL, SIMULATOR, seedBindings, startService } from './routing/bench-setup.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { CpuMeter } from './support/cpu-meter.js';
import { median, printTable, type LoadSummary, type LoadTarget } from './support/load.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

const RUNS = intSetting('BENCH_RUNS', 3, 1, 10);
const SECONDS = intSetting('BENCH_SECONDS', 10, 1, 60);
const RATE = intSetting('BENCH_RATE', 100, 10, 5_000);
const SEED = intSetting('SEED', 300_000, 1_000, 2_000_000);
const SEARCHERS = intSetting('SEARCHERS', 20, 1, 200);
const LOOKUP_BINDINGS = intSetting('LOOKUP_BINDINGS', 200, 10, 5_000);
const ADMIN_POOLS = (process.env.ADMIN_POOLS ?? '1,2').split(',').map((n) => {
  const size = Number(n);
  if (!Number.isInteger(size) || size < 1 || size > 100) throw new Error('ADMIN_POOLS: 1..100');
  return size;
});
const HOT_X = '13099999999';
const TARGET_RATIO = 2;

/** SEED ended bindings in one statement; the oldest third on HOT_X, the rest over 100 numbers. */
async function seedHistory(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [POOL]);
    await client.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, ended_at, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'history-' || g, '137' || lpad(g::text, 8, '0'),
              '136' || lpad(g::text, 8, '0'),
              CASE WHEN g <= $2::int / 3 THEN $3 ELSE '130' || lpad((g % 100)::text, 8, '0') END,
              (2000000000000000 + g)::text, '杭州',
              (CASE WHEN g % 2 = 0 THEN 'expired' ELSE 'unbound' END)::binding_state,
              now() - ($2::int - g) * interval '1 second',
              now() - ($2::int - g) * interval '1 second',
              now() - interval '1 hour' - ($2::int - g) * interval '1 second',
              now() - ($2::int - g) * interval '1 second'
         FROM generate_series(1, $2::int) g`,
      [POOL, SEED, HOT_X],
    );
    await client.query('VACUUM ANALYZE bindings');
  } finally {
    await client.end();
  }
}

interface Run {
  idle: LoadSummary;
  busy: LoadSummary;
  searches: LoadSummary;
  /** Cores used during each phase: this process (service, simulator, load) and Postgres. */
  idleCores: Cores;
  busyCores: Cores;
}

type Cores = { process: number; postgres: number | null };

/** Runs `phase`, and the cores this process and the database's backends used meanwhile. */
async function metered<T>(meter: CpuMeter, phase: () => Promise<T>): Promise<[T, Cores]> {
  const started = performance.now();
  const before = await meter.read();
  const result = await phase();
  const after = await meter.read();
  const ms = performance.now() - started;
  const postgres =
    before.postgresMs === null || after.postgresMs === null
      ? null
      : (after.postgresMs - before.postgresMs) / ms;
  return [result, { process: (after.processMs - before.processMs) / ms, postgres }];
}

async function measure(url: string, lookups: string[], meter: CpuMeter): Promise<Run> {
  const lookup: LoadTarget = {
    origin: url,
    path: '/v1/routing/lookup',
    bodies: lookups,
    headers: BENCH_AUTH,
  };
  const fixed = {
    rate: RATE,
    durationMs: SECONDS * 1000,
    connections: 32,
    maxInFlight: 2_000,
  };
  const [idle, idleCores] = await metered(meter, () =>
    runLoad({ kind: 'fixed', target: lookup, options: fixed }),
  );
  const searching = runLoad({
    kind: 'saturate',
    target: {
      origin: url,
      path: `/v1/bindings?phoneX=${HOT_X}&limit=100&view=masked`,
      bodies: [],
      get: true,
      headers: BENCH_AUTH,
    },
    // A little longer than the lookups, so they never run without the searches.
    options: { connections: SEARCHERS, durationMs: SECONDS * 1000 + 1_000, maxRequests: 1e6 },
  });
  const [busy, busyCores] = await metered(meter, () =>
    runLoad({ kind: 'fixed', target: lookup, options: fixed }),
  );
  return { idle, busy, searches: await searching, idleCores, busyCores };
}

const ratio = (r: Run) => r.busy.p99Ms / r.idle.p99Ms;

async function main(): Promise<void> {
  const db = await createBenchDatabase('adminreads');
  const sim = await startSimulatorThread(SIMULATOR);
  const rows: Array<Record<string, string | number>> = [];
  const verdicts: string[] = [];
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const meter = new CpuMeter(sql);
  try {
    await seedHistory(db.url);
    let live: Awaited<ReturnType<typeof seedBindings>> | undefined;
    for (const adminPool of ADMIN_POOLS) {
      const service = await startService(db.url, sim.url, {
        ROUTING_CACHE_TTL_MS: '0',
        ADMIN_DATABASE_POOL_SIZE: String(adminPool),
        ADMIN_DATABASE_POOL_MAX_WAITING: String(Math.max(SEARCHERS, 20)),
      });
      try {
        live ??= await seedBindings(service.url, LOOKUP_BINDINGS);
        const lookups = live.flatMap((b) => [
          JSON.stringify({ bindingId: b.id, callerNo: b.phoneA }),
          JSON.stringify({ bindingId: b.id, callerNo: b.phoneB }),
        ]);
        const runs: Run[] = [];
        for (let run = 1; run <= RUNS; run += 1) {
          const r = await measure(service.url, lookups, meter);
          runs.push(r);
          console.error(
            `admin pool ${adminPool}, run ${run}: lookups p99 idle ${r.idle.p99Ms.toFixed(2)} ms, ` +
              `during searches ${r.busy.p99Ms.toFixed(2)} ms (x${ratio(r).toFixed(2)}); ` +
              `searches ${r.searches.perSecond.toFixed(1)}/s p50 ${r.searches.p50Ms.toFixed(0)} ms, ` +
              `statuses ${JSON.stringify(r.searches.statuses)}; lookup statuses ` +
              `${JSON.stringify(r.busy.statuses)}, errors ${r.idle.errors + r.busy.errors}`,
          );
        }
        const m = (pick: (r: Run) => number) => median(runs.map(pick));
        for (const [phase, pick] of [
          ['idle', (r: Run) => r.idle],
          [`${SEARCHERS} searching`, (r: Run) => r.busy],
        ] as const) {
          rows.push({
            'admin pool': adminPool,
            lookups: phase,
            'achieved/s': m((r) => pick(r).perSecond),
            'p50 ms': m((r) => pick(r).p50Ms),
            'p99 ms': m((r) => pick(r).p99Ms),
            'non-2xx': m((r) => pick(r).answered - pick(r).ok + pick(r).errors),
            'searches/s': phase === 'idle' ? '-' : m((r) => r.searches.perSecond),
            'search p50 ms': phase === 'idle' ? '-' : m((r) => r.searches.p50Ms),
            'search p99 ms': phase === 'idle' ? '-' : m((r) => r.searches.p99Ms),
            'searches non-2xx':
              phase === 'idle' ? '-' : m((r) => r.searches.answered - r.searches.ok),
            'process cores': m((r) => (phase === 'idle' ? r.idleCores : r.busyCores).process),
            'postgres cores': m(
              (r) => (phase === 'idle' ? r.idleCores : r.busyCores).postgres ?? Number.NaN,
            ),
          });
        }
        const x = m(ratio);
        verdicts.push(
          `admin pool ${adminPool}: lookup p99 during searches / idle (median of per-run ratios) = ` +
            `${x.toFixed(2)} (target ≤ ${TARGET_RATIO}: ${x <= TARGET_RATIO ? 'met' : 'NOT met'})`,
        );
      } finally {
        await service.app.close();
      }
    }
    printTable(
      `Routing lookups (cache off, ${RATE}/s offered, latency from due time) beside ${SEARCHERS} ` +
        `concurrent searches of an X with ${Math.floor(SEED / 3)} of ${SEED} bindings — ` +
        `${RUNS} runs × ${SECONDS} s, medians`,
      rows,
    );
    console.log('');
    for (const line of verdicts) console.log(line);
  } finally {
    await sql.end();
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
