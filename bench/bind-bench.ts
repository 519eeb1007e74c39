/**
 * Bind benchmark: binds per second and latency through the service (POST /v1/bindings → pending
 * binding on an X we claim → BindAxb at the simulator → active), beside two baselines measured
 * in the same run with the same client, simulator and database:
 *   - bare durable bind (POST /bench/bare-bind, same bootstrap and guards): insert a row with only
 *     a primary key and commit, BindAxb with X named, update the row and commit: the durable
 *     minimum any bind costs (issue 21);
 *   - simulator-direct: BindAxb straight at the simulator (the provider's own rate).
 * At 16 and 64 concurrent and sequentially; then, at 16 concurrent, the service beside each
 * HISTORIES level (ended bindings in the record, with their events); then a fixed offered rate.
 * After every service phase, the share of HOT updates (n_tup_hot_upd / n_tup_upd) of each table
 * the phase updated. One process: Postgres (DATABASE_URL's server, else embedded), the simulator
 * on a worker thread, the service through the real bootstrap() on the main thread, each load on
 * its own worker thread (bench/support/load.ts; latency from the intended send time).
 *
 *   npm run build && node dist/bench/bind-bench.js
 *   RUNS=3 BINDS=1500 SEQUENTIAL_BINDS=200 NUMBERS=20 HISTORY=20000 HISTORIES=0,1000000
 *   LIVE_ELSEWHERE=5000 DB_POOL=10 CONCURRENCY=16,64,1 TARGETS=simulator,bare,service
 *   FIXED_SHARE=50 FIXED_SECONDS=3 WARMUP_BINDS=300 BIND_BATCH_SIZE= BIND_BATCH_CONCURRENCY=
 *   DATABASE_URL=…
 *   (all optional)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { PrismaService } from '../src/prisma/prisma.service.js';
import { BareBindModule } from './bind/bare-bind.module.js';
import { BindFixture, POOL_KEY } from './bind/bind-fixture.js';
import { report, type FixedRun, type Measured, type Target } from './bind/bind-report.js';
import type { DirectBindData } from './bind/direct-bind-axb.task.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { benchServiceSettings } from './support/bench-service-settings.js';
import { describeRounds, readBindRounds } from './support/bind-rounds.js';
import { busyShare, CpuMeter, machineTicks } from './support/cpu-meter.js';
import { readUpdates, updatesBetween } from './support/hot-updates.js';
import type { LoadSummary } from './support/load.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

const RUNS = intSetting('RUNS', 3, 1, 10);
const BINDS = intSetting('BINDS', 1500, 10, 20_000);
const SEQUENTIAL_BINDS = intSetting('SEQUENTIAL_BINDS', 200, 10, 5_000);
const NUMBERS = intSetting('NUMBERS', 20, 1, 200);
const DB_POOL = intSetting('DB_POOL', 10, 1, 50);
/** Ended bindings in the record during the concurrency phases: a table with a past. */
const HISTORY = intSetting('HISTORY', 20_000, 0, 2_000_000);
/** Record sizes the service is compared at (16 concurrent), each beside the others. */
const HISTORIES = (process.env.HISTORIES ?? '0,1000000').split(',').filter(Boolean).map(Number);
/** Live bindings of another pool meanwhile: the statistics see live rows, as in service. */
const LIVE_ELSEWHERE = intSetting('LIVE_ELSEWHERE', 5_000, 0, 1_000_000);
const CONCURRENCIES = (process.env.CONCURRENCY ?? '16,64,1').split(',').map(Number);
const TARGETS = (process.env.TARGETS ?? 'simulator,bare,service').split(',') as Target[];
const HEADLINE = 16;
const FIXED_SHARE = intSetting('FIXED_SHARE', 50, 0, 100);
const FIXED_SECONDS = intSetting('FIXED_SECONDS', 3, 1, 30);
/** Binds of each target's unmeasured warm-up phase before run 1 (0: none). */
const WARMUP_BINDS = intSetting('WARMUP_BINDS', 300, 0, 5_000);
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
    ...benchServiceSettings({
      databaseUrl: db.url,
      providerUrl: sim.url,
      provider: KEY,
      poolKey: POOL_KEY,
    }),
    DATABASE_POOL_SIZE: String(DB_POOL),
    // The group commit's settings, when given (else the service's defaults).
    ...(process.env.BIND_BATCH_SIZE ? { BIND_BATCH_SIZE: process.env.BIND_BATCH_SIZE } : {}),
    ...(process.env.BIND_BATCH_CONCURRENCY
      ? { BIND_BATCH_CONCURRENCY: process.env.BIND_BATCH_CONCURRENCY }
      : {}),
    PROVIDER_CONNECTIONS: '64',
  });
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // Calls of the bind path's functions per phase (how many binds shared a statement).
  await sql.query(
    `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET track_functions = 'all'`,
  );
  await BindFixture.createBareTable(sql);
  const app = await bootstrap(config, { extraModules: [BareBindModule] });
  await app.listen(0, '127.0.0.1');
  const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const servicePool = app.get(PrismaService).pgPool;
  const metrics = app.get(MetricsService);
  const fixture = new BindFixture(sql, LIVE_ELSEWHERE);
  const meter = new CpuMeter(sql);

  /** A load, with CPU per bind (this process, Postgres) and the service loop's busy share. */
  const measure = async (load: (onReady: () => Promise<void>) => Promise<LoadSummary>) => {
    let before = performance.eventLoopUtilization();
    let cpu0 = await meter.read();
    let machine0 = await machineTicks();
    const summary = await load(async () => {
      cpu0 = await meter.read();
      machine0 = await machineTicks();
      before = performance.eventLoopUtilization();
    });
    const elu = performance.eventLoopUtilization(before).utilization;
    const machineBusy = busyShare(machine0, await machineTicks());
    const cpu1 = await meter.read();
    const per = (ms: number) => ms / Math.max(1, summary.ok);
    const postgres =
      cpu0.postgresMs === null || cpu1.postgresMs === null
        ? null
        : cpu1.postgresMs - cpu0.postgresMs;
    return {
      summary,
      elu,
      machineBusy,
      cpu: {
        processMs: per(cpu1.processMs - cpu0.processMs),
        postgresMs: postgres === null ? null : per(postgres),
      },
    };
  };

  /** A fresh pool for a phase: nothing of the last phase left, NUMBERS numbers bought. */
  const freshPool = async (): Promise<string[]> => {
    const reset = await fetch(`${sim.controlUrl}/reset`, { method: 'POST' });
    if (!reset.ok) throw new Error(`simulator reset: ${reset.status}`);
    await fixture.resetPhase();
    const res = await fetch(`${origin}/v1/pools/${POOL_KEY}/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...BENCH_AUTH },
      body: JSON.stringify({ spec: 2, city: '杭州', count: NUMBERS }),
    });
    const body = (await res.json()) as { bought?: string[] };
    if (body.bought?.length !== NUMBERS) throw new Error(`buying: ${JSON.stringify(body)}`);
    return body.bought;
  };

  const closed = (concurrency: number, count: number) => ({
    connections: concurrency,
    durationMs: PHASE_DEADLINE_MS,
    maxRequests: count,
  });

  /** One phase of a target at a concurrency (from a fresh pool); HOT shares for the service. */
  const phase = async (
    run: number,
    target: Target,
    concurrency: number,
    history: number,
    tag: number,
    count = concurrency === 1 ? SEQUENTIAL_BINDS : BINDS,
  ): Promise<Measured> => {
    const numbers = await freshPool();
    const parties = (i: number) => ({
      phoneA: phone('137', tag * 100_000 + i),
      phoneB: phone('139', tag * 100_000 + i),
    });
    const stats0 = await readUpdates(sql, [servicePool]);
    const calls0 = await functionCalls(sql);
    const rounds0 = await readBindRounds(metrics);
    let m: Omit<Measured, 'run' | 'target' | 'concurrency' | 'history' | 'hot'>;
    if (target === 'simulator') {
      const data: DirectBindData = {
        endpoint: sim.url,
        ...KEY,
        connections: concurrency,
        poolKey: POOL_KEY,
        numbers,
        expiresAtMs: Date.now() + 3_600_000,
        phase: tag,
      };
      m = await measure((onReady) =>
        runLoad(
          {
            kind: 'task',
            module: new URL('./bind/direct-bind-axb.task.js', import.meta.url).href,
            data,
            closed: closed(concurrency, count),
          },
          onReady,
        ),
      );
    } else {
      const path = target === 'bare' ? '/bench/bare-bind' : '/v1/bindings';
      const bodies = Array.from({ length: count }, (_, i) =>
        JSON.stringify({
          outId: `bench-${tag}-${i}`,
          ...parties(i),
          ttlSeconds: 3600,
          // The bare bind names X itself, round robin as the direct BindAxb does.
          ...(target === 'bare' ? { poolKey: POOL_KEY, phoneX: numbers[i % numbers.length] } : {}),
        }),
      );
      m = await measure((onReady) =>
        runLoad(
          {
            kind: 'saturate',
            target: { origin, path, bodies, headers: BENCH_AUTH },
            options: closed(concurrency, count),
          },
          onReady,
        ),
      );
    }
    const hot = updatesBetween(stats0, await readUpdates(sql, [servicePool]));
    const calls1 = await functionCalls(sql);
    const calls = (f: string) => (calls1.get(f)?.calls ?? 0) - (calls0.get(f)?.calls ?? 0);
    // Postgres's own time in each SQL function (self, excluding the functions it called).
    const selfMs = [...calls1]
      .map(([f, c]) => [f, c.selfMs - (calls0.get(f)?.selfMs ?? 0)] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6);
    // Statements (and commits) of the bind path: placements, settles, and rounds of both.
    const placeCalls = calls('place_bindings');
    const settleCalls = calls('settle_bound');
    const commits = placeCalls + settleCalls - calls('bind_round');
    const measured: Measured = { run, target, concurrency, history, hot, ...m };
    console.error(
      `run ${run} ${target} ×${concurrency} (history ${history}): ` +
        `${m.summary.perSecond.toFixed(0)}/s p50 ${m.summary.p50Ms.toFixed(1)} ms ` +
        `p99 ${m.summary.p99Ms.toFixed(1)} ms ok ${m.summary.ok}/${count} ` +
        `${JSON.stringify(m.summary.statuses)} loop ${(m.elu * 100).toFixed(0)} %, ` +
        `cpu/bind ${m.cpu.processMs.toFixed(2)} ms node + ${m.cpu.postgresMs?.toFixed(2) ?? '?'} ms pg` +
        (placeCalls > 0
          ? `; binds a statement: place ${(m.summary.ok / placeCalls).toFixed(1)}, ` +
            `settle ${(m.summary.ok / Math.max(1, settleCalls)).toFixed(1)}, ` +
            `commits a bind ${(commits / Math.max(1, m.summary.ok)).toFixed(2)}; ` +
            `functions' self ms a bind: ${selfMs
              .map(([f, ms]) => `${f} ${(ms / Math.max(1, m.summary.ok)).toFixed(3)}`)
              .join(', ')}; ${describeRounds(rounds0, await readBindRounds(metrics))}`
          : '') +
        (hot.length
          ? `; HOT ${hot.map((h) => `${h.table} ${h.hot}/${h.updates}`).join(', ')}`
          : ''),
    );
    return measured;
  };

  const results: Measured[] = [];
  const fixed: FixedRun[] = [];
  let tag = 0;
  try {
    // Each target once, unmeasured, before run 1: the first measured phase of an invocation was
    // its coldest (code not yet optimised, connections and plans not made), and the bare route
    // comes first in each run, which made run 1's service / bare ratio the kindest.
    if (WARMUP_BINDS > 0) {
      await fixture.history(HISTORY);
      for (const target of TARGETS) {
        await phase(0, target, HEADLINE, HISTORY, (tag += 1), WARMUP_BINDS);
      }
    }
    for (let run = 1; run <= RUNS; run += 1) {
      await fixture.history(HISTORY);
      for (const concurrency of CONCURRENCIES) {
        for (const target of TARGETS) {
          results.push(await phase(run, target, concurrency, HISTORY, (tag += 1)));
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
        tag += 1;
        const bodies = Array.from({ length: rate * FIXED_SECONDS }, (_, i) =>
          JSON.stringify({
            outId: `fixed-${tag}-${i}`,
            phoneA: phone('133', tag * 100_000 + i),
            phoneB: phone('134', tag * 100_000 + i),
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
    // The record's size, compared in the same run: each level in turn, every run.
    if (HISTORIES.length > 1 && TARGETS.includes('service')) {
      for (let run = 1; run <= RUNS; run += 1) {
        for (const history of HISTORIES) {
          await fixture.history(history);
          results.push(await phase(run, 'service', HEADLINE, history, (tag += 1)));
        }
      }
    }
  } finally {
    await sql.end();
    await app.close();
    await sim.close();
    await db.drop();
  }
  report(results, fixed, {
    binds: BINDS,
    sequentialBinds: SEQUENTIAL_BINDS,
    numbers: NUMBERS,
    runs: RUNS,
    concurrencies: CONCURRENCIES,
    headline: HEADLINE,
    history: HISTORY,
    histories: HISTORIES,
    fixedShare: FIXED_SHARE,
    fixedSeconds: FIXED_SECONDS,
  });
}

/** Calls of each SQL function of the database so far, and its self time (track_functions = all). */
async function functionCalls(
  sql: pg.Client,
): Promise<Map<string, { calls: number; selfMs: number }>> {
  const { rows } = await sql.query<{ funcname: string; calls: string; self_time: number }>(
    'SELECT funcname, calls, self_time FROM pg_stat_user_functions',
  );
  return new Map(
    rows.map((r) => [r.funcname, { calls: Number(r.calls), selfMs: Number(r.self_time) }]),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
