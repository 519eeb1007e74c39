/**
 * Bind benchmark: binds per second and latency through the service (POST /v1/bindings → pending
 * row on an X we claim → BindAxb at the simulator → active), beside the simulator's own BindAxb
 * rate measured directly with the service's client in the same run, at 16 and 64 concurrent and
 * sequentially. One process: Postgres (DATABASE_URL's server, else embedded), the simulator on a
 * worker thread, the service through the real bootstrap() on the main thread, each load on its
 * own worker thread (bench/support/load.ts; latency from the intended send time). Every phase
 * starts from a fresh pool: simulator reset, bindings truncated, NUMBERS numbers bought through
 * the API, HISTORY ended bindings on them and LIVE_ELSEWHERE live ones of another pool
 * (statistics taken: as in a database in service). Each run ends with the service at a fixed offered rate (half its own rate at 16
 * concurrent, by default), latency measured from each request's due time. Medians over the runs
 * are printed, then the line
 * `service / simulator-direct throughput (medians): N%` (at 16 concurrent).
 *
 *   npm run build && node dist/bench/bind-bench.js
 *   RUNS=3 BINDS=1500 SEQUENTIAL_BINDS=200 NUMBERS=20 HISTORY=20000 LIVE_ELSEWHERE=5000 DB_POOL=10
 *   CONCURRENCY=16,64,1
 *   TARGETS=simulator,service FIXED_SHARE=50 FIXED_SECONDS=3 DATABASE_URL=… (all optional)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import type { DirectBindData } from './bind/direct-bind-axb.task.js';
import { createBenchDatabase } from './support/bench-database.js';
import { CpuMeter } from './support/cpu-meter.js';
import { BENCH_API_KEYS, BENCH_AUTH, BENCH_RATE_LIMIT } from './support/bench-key.js';
import type { LoadSummary } from './support/load.js';
import { report, type FixedRun, type Measured } from './bind/bind-report.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from './support/simulator-thread.js';

const RUNS = intSetting('RUNS', 3, 1, 10);
const BINDS = intSetting('BINDS', 1500, 10, 20_000);
const SEQUENTIAL_BINDS = intSetting('SEQUENTIAL_BINDS', 200, 10, 5_000);
const NUMBERS = intSetting('NUMBERS', 20, 1, 200);
const DB_POOL = intSetting('DB_POOL', 10, 1, 50);
/** Ended bindings on the pool's numbers before each phase: a table with a past, as in service. */
const HISTORY = intSetting('HISTORY', 20_000, 0, 1_000_000);
/** Live bindings of another pool meanwhile: the statistics see live rows, as in service. */
const LIVE_ELSEWHERE = intSetting('LIVE_ELSEWHERE', 5_000, 0, 1_000_000);
const CONCURRENCIES = (process.env.CONCURRENCY ?? '16,64,1').split(',').map(Number);
/** Which targets to measure (both for the ratio; one alone for profiling). */
const TARGETS = (process.env.TARGETS ?? 'simulator,service').split(',');
const HEADLINE = 16;
/** The open-loop phase offers this share (%) of the run's own service rate at 16 concurrent. */
const FIXED_SHARE = intSetting('FIXED_SHARE', 50, 0, 100);
const FIXED_SECONDS = intSetting('FIXED_SECONDS', 3, 1, 30);
const POOL_KEY = 'FCBINDBENCH';
const KEY = { accessKeyId: 'bench-id', accessKeySecret: 'bench-secret' };
const PHASE_DEADLINE_MS = 120_000;

const phone = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

async function main(): Promise<void> {
  const db = await createBenchDatabase('bind');
  const sim = await startSimulatorThread({
    ...KEY,
    poolKeys: [POOL_KEY],
    ownedPerCity: 0,
    stockPerCity: Math.max(200, NUMBERS * 2),
  });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: String(DB_POOL),
    MIGRATE_ON_START: 'false',
    SCHEDULER_ENABLED: 'false',
    PROVIDER_ENDPOINT: sim.url,
    PROVIDER_ACCESS_KEY_ID: KEY.accessKeyId,
    PROVIDER_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    PROVIDER_CONNECTIONS: '64',
    DEFAULT_POOL_KEY: POOL_KEY,
    API_KEYS: BENCH_API_KEYS,
    RATE_LIMIT_PER_SECOND: BENCH_RATE_LIMIT,
    RATE_LIMIT_BURST: BENCH_RATE_LIMIT,
  });
  const app = await bootstrap(config);
  await app.listen(0, '127.0.0.1');
  const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const meter = new CpuMeter(sql);
  // Readings start when the load thread is ready, so its start-up is not counted.
  const measure = async (load: (onReady: () => Promise<void>) => Promise<LoadSummary>) => {
    let before = performance.eventLoopUtilization();
    let cpu0 = await meter.read();
    const summary = await load(async () => {
      cpu0 = await meter.read();
      before = performance.eventLoopUtilization();
    });
    const elu = performance.eventLoopUtilization(before).utilization;
    const cpu1 = await meter.read();
    const per = (ms: number) => ms / Math.max(1, summary.ok);
    const postgres =
      cpu0.postgresMs === null || cpu1.postgresMs === null
        ? null
        : cpu1.postgresMs - cpu0.postgresMs;
    return {
      summary,
      elu,
      cpu: {
        processMs: per(cpu1.processMs - cpu0.processMs),
        postgresMs: postgres === null ? null : per(postgres),
      },
    };
  };

  /**
   * A fresh pool for a phase: nothing live anywhere, NUMBERS numbers bought through the API, and
   * HISTORY ended bindings on them (with statistics), as a table in service holds.
   */
  const freshPool = async (): Promise<string[]> => {
    const reset = await fetch(`${sim.controlUrl}/reset`, { method: 'POST' });
    if (!reset.ok) throw new Error(`simulator reset: ${reset.status}`);
    await sql.query('TRUNCATE bindings, binding_events, secret_numbers CASCADE');
    const res = await fetch(`${origin}/v1/pools/${POOL_KEY}/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...BENCH_AUTH },
      body: JSON.stringify({ spec: 2, city: '杭州', count: NUMBERS }),
    });
    const body = (await res.json()) as { bought?: string[] };
    if (body.bought?.length !== NUMBERS) throw new Error(`buying: ${JSON.stringify(body)}`);
    await sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, created_at, updated_at, ended_at)
       SELECT gen_random_uuid(), $1, 'past-' || g, '150' || lpad(g::text, 8, '0'),
              '151' || lpad(g::text, 8, '0'), ($2::text[])[1 + g % $3], 'past-' || g, '杭州',
              'expired', now() - interval '1 day', now() - interval '2 days',
              now() - interval '1 day', now() - interval '1 day'
         FROM generate_series(1, $4::int) g`,
      [POOL_KEY, body.bought, NUMBERS, HISTORY],
    );
    await sql.query(`INSERT INTO pools (key) VALUES ('FCBENCHOTHER') ON CONFLICT DO NOTHING`);
    await sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, created_at, updated_at)
       SELECT gen_random_uuid(), 'FCBENCHOTHER', 'other-' || g, '152' || lpad(g::text, 8, '0'),
              '153' || lpad(g::text, 8, '0'), '177' || lpad((g % 100)::text, 8, '0'), 'other-' || g,
              '杭州', 'active', now() + interval '1 day', now(), now()
         FROM generate_series(1, $1::int) g`,
      [LIVE_ELSEWHERE],
    );
    await sql.query('VACUUM ANALYZE bindings');
    await sql.query('VACUUM ANALYZE binding_events');
    return body.bought;
  };

  const results: Measured[] = [];
  const fixed: FixedRun[] = [];
  try {
    for (let run = 1; run <= RUNS; run += 1) {
      for (const concurrency of CONCURRENCIES) {
        const count = concurrency === 1 ? SEQUENTIAL_BINDS : BINDS;
        const phase = run * 10 + CONCURRENCIES.indexOf(concurrency);
        const closed = {
          connections: concurrency,
          durationMs: PHASE_DEADLINE_MS,
          maxRequests: count,
        };

        if (TARGETS.includes('simulator')) {
          const numbers = await freshPool();
          const data: DirectBindData = {
            endpoint: sim.url,
            ...KEY,
            connections: concurrency,
            poolKey: POOL_KEY,
            numbers,
            expiresAtMs: Date.now() + 3_600_000,
            phase,
          };
          const direct = await measure((onReady) =>
            runLoad(
              {
                kind: 'task',
                module: new URL('./bind/direct-bind-axb.task.js', import.meta.url).href,
                data,
                closed,
              },
              onReady,
            ),
          );
          results.push({ run, target: 'simulator', concurrency, ...direct });
        }
        if (TARGETS.includes('service')) {
          await freshPool();
          const bodies = Array.from({ length: count }, (_, i) =>
            JSON.stringify({
              outId: `bench-${phase}-${i}`,
              phoneA: phone('137', phase * 100_000 + i),
              phoneB: phone('139', phase * 100_000 + i),
              ttlSeconds: 3600,
            }),
          );
          const service = await measure((onReady) =>
            runLoad(
              {
                kind: 'saturate',
                target: { origin, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
                options: closed,
              },
              onReady,
            ),
          );
          results.push({ run, target: 'service', concurrency, ...service });
        }
        for (const m of results.filter((r) => r.run === run && r.concurrency === concurrency)) {
          console.error(
            `run ${run} ${m.target} ×${concurrency}: ${m.summary.perSecond.toFixed(0)}/s ` +
              `p50 ${m.summary.p50Ms.toFixed(1)} ms p99 ${m.summary.p99Ms.toFixed(1)} ms ` +
              `ok ${m.summary.ok}/${count} ${JSON.stringify(m.summary.statuses)} ` +
              `service loop ${(m.elu * 100).toFixed(0)} % busy, cpu/bind ${m.cpu.processMs.toFixed(2)} ms ` +
              `node + ${m.cpu.postgresMs?.toFixed(2) ?? '?'} ms pg`,
          );
        }
      }
      const saturated = results.find(
        (r) => r.run === run && r.target === 'service' && r.concurrency === HEADLINE,
      );
      if (saturated && FIXED_SHARE > 0) {
        // Latency from each request's due time: what a caller sees at a steady load below the
        // maximum, stalls included.
        await freshPool();
        const rate = Math.max(1, Math.round((saturated.summary.perSecond * FIXED_SHARE) / 100));
        const bodies = Array.from({ length: rate * FIXED_SECONDS }, (_, i) =>
          JSON.stringify({
            outId: `fixed-${run}-${i}`,
            phoneA: phone('133', run * 100_000 + i),
            phoneB: phone('134', run * 100_000 + i),
            ttlSeconds: 3600,
          }),
        );
        const summary = await runLoad({
          kind: 'fixed',
          target: { origin, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
          options: { rate, durationMs: FIXED_SECONDS * 1000, connections: 64, maxInFlight: 256 },
        });
        fixed.push({ run, rate, summary });
        console.error(
          `run ${run} service at ${rate}/s offered: ${summary.perSecond.toFixed(0)}/s ` +
            `p50 ${summary.p50Ms.toFixed(1)} ms p99 ${summary.p99Ms.toFixed(1)} ms ` +
            `errors ${summary.errors} ${JSON.stringify(summary.statuses)}`,
        );
      }
    }
  } finally {
    await sql.end();
    await app.close();
    await sim.stop();
    await db.drop();
  }
  report(results, fixed, {
    binds: BINDS,
    sequentialBinds: SEQUENTIAL_BINDS,
    numbers: NUMBERS,
    runs: RUNS,
    concurrencies: CONCURRENCIES,
    headline: HEADLINE,
    fixedShare: FIXED_SHARE,
    fixedSeconds: FIXED_SECONDS,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
