import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RouteCacheListener } from '../src/routing/route-cache.listener.js';
import { RoutedCountsWriter } from '../src/routing/routed-counts.writer.js';
import {
  seedBindings,
  startService,
  SIMULATOR,
  type SeededBinding,
} from './routing/bench-setup.js';
import type { LoadSummary, LoadTarget } from './support/load.js';
import { runLoad } from './support/run-load.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { createBenchDatabase } from './support/bench-database.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

/**
 * Routing lookup benchmark. One process: Postgres (DATABASE_URL's server, else embedded), the
 * simulator on a worker thread, the service through the real bootstrap() on the main thread, the
 * load generator on another worker thread. Four targets, each at saturation and at a fixed
 * offered rate, in every run:
 *   bare     — GET /bench/bare: a constant through the same bootstrap() and guards (API key,
 *              role, rate limit, request log, metrics): the ceiling for any route here;
 *   baseline — POST /bench/baseline: the same request shape, one indexed read of the binding;
 *   hit      — POST /v1/routing/lookup, bindings and answers warmed into the cache (long TTL):
 *              no database read, no provider call;
 *   miss     — POST /v1/routing/lookup on a second instance with the cache off: every lookup
 *              reads the binding and asks the simulator's QueryCallStatus.
 * Each run measures every target's saturation back to back (hit right after bare), then every
 * fixed rate. Medians over the runs are printed, with hit / bare (the median of the per-run
 * ratios) and the targets (hit ≥ 60 % of bare's rate, issue 21; hit p99 ≤ 5 ms at the fixed rate).
 * Bounded: BENCH_RUNS × 4 targets × 2 modes × BENCH_SECONDS.
 *
 *   npm run build && node dist/bench/routing-bench.js
 *   BENCH_RUNS=3 BENCH_SECONDS=3 BENCH_RATE=1000 BENCH_CONNECTIONS=16 BENCH_TARGETS=hit,miss
 *   BENCH_PROFILE=<dir> (CPU profiles of the service thread per saturation phase)
 *   BENCH_FIXED=0 (saturation only: the fixed-rate phases skipped)
 *   DATABASE_URL=… (all optional)
 */

const RUNS = intSetting('BENCH_RUNS', 3, 1, 10);
const SECONDS = intSetting('BENCH_SECONDS', 3, 1, 30);
const RATE = intSetting('BENCH_RATE', 1000, 10, 20_000);
const CONNECTIONS = intSetting('BENCH_CONNECTIONS', 16, 1, 256);
const BINDINGS = 200;
/** Which targets to measure (comma-separated); bare and baseline are always measured. */
const ONLY = (process.env.BENCH_TARGETS ?? 'hit,miss').split(',').map((t) => t.trim());
/** BENCH_FIXED=0: saturation only (the fixed-rate phases skipped, their columns empty). */
const FIXED = process.env.BENCH_FIXED !== '0';
/** Where to write CPU profiles of the saturation phases (unset: no profiling). */
const PROFILE_DIR = process.env.BENCH_PROFILE;

function bodies(bindings: SeededBinding[]): string[] {
  return bindings.flatMap((b) => [
    JSON.stringify({ bindingId: b.id, callerNo: b.phoneA }),
    JSON.stringify({ bindingId: b.id, callerNo: b.phoneB }),
  ]);
}

interface Measured {
  sat: LoadSummary;
  fixed: LoadSummary;
  /** Event-loop utilisation of the service's thread during saturation (1 = always busy). */
  elu: number;
  /**
   * CPU time of the service's thread per answered request during saturation, in µs: unlike the
   * rate, not inflated by other processes taking the cores (the thread's own user + system time).
   */
  cpuUs: number;
}

/** With BENCH_PROFILE=<dir>: a CPU profile of the service's thread during each saturation phase. */
async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!PROFILE_DIR) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // BENCH_PROFILE_INTERVAL_US: the sampling interval (V8's default, 1000 µs, gives a few
  // thousand samples a phase: too few to tell apart costs of a few µs a request).
  const interval = intSetting('BENCH_PROFILE_INTERVAL_US', 1000, 10, 10_000);
  await session.post('Profiler.setSamplingInterval', { interval });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(PROFILE_DIR, { recursive: true });
    await writeFile(join(PROFILE_DIR, `${label}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function saturation(
  name: string,
  target: LoadTarget,
  app: NestFastifyApplication,
): Promise<Pick<Measured, 'sat' | 'elu' | 'cpuUs'>> {
  // Read once the load's thread is up, just before its first request.
  let before = performance.eventLoopUtilization();
  let cpuBefore = process.threadCpuUsage();
  const sat = await profiled(name, () =>
    runLoad(
      {
        kind: 'saturate',
        target,
        options: { connections: CONNECTIONS, durationMs: SECONDS * 1000, maxRequests: 200_000 },
      },
      () => {
        before = performance.eventLoopUtilization();
        cpuBefore = process.threadCpuUsage();
      },
    ),
  );
  const cpu = process.threadCpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(before).utilization;
  await app.get(RoutedCountsWriter).flush();
  return { sat, elu, cpuUs: (cpu.user + cpu.system) / Math.max(1, sat.answered) };
}

const NOT_MEASURED: LoadSummary = {
  answered: 0,
  ok: 0,
  errors: 0,
  seconds: 0,
  perSecond: NaN,
  p50Ms: NaN,
  p99Ms: NaN,
  statuses: {},
  sources: {},
  slowest: [],
};

async function fixedRate(target: LoadTarget, app: NestFastifyApplication): Promise<LoadSummary> {
  if (!FIXED) return NOT_MEASURED;
  const fixed = await runLoad({
    kind: 'fixed',
    target,
    options: { rate: RATE, durationMs: SECONDS * 1000, connections: 64, maxInFlight: 512 },
  });
  await app.get(RoutedCountsWriter).flush();
  return fixed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  const db = await createBenchDatabase('routing');
  const sim = await startSimulatorThread(SIMULATOR);
  const hitApp = await startService(db.url, sim.url, { ROUTING_CACHE_TTL_MS: '600000' });
  const missApp = await startService(db.url, sim.url, { ROUTING_CACHE_TTL_MS: '0' });
  try {
    const seeded = await seedBindings(hitApp.url, BINDINGS);
    const lookups = bodies(seeded);
    // Warm the cache: every (binding, caller) once.
    await runLoad({
      kind: 'saturate',
      target: {
        origin: hitApp.url,
        path: '/v1/routing/lookup',
        bodies: lookups,
        headers: BENCH_AUTH,
      },
      options: { connections: 8, durationMs: 10_000, maxRequests: lookups.length },
    });
    const targets = {
      bare: {
        app: hitApp,
        target: {
          origin: hitApp.url,
          path: '/bench/bare',
          bodies: [],
          get: true,
          headers: BENCH_AUTH,
        },
      },
      hit: {
        app: hitApp,
        target: {
          origin: hitApp.url,
          path: '/v1/routing/lookup',
          bodies: lookups,
          headers: BENCH_AUTH,
        },
      },
      baseline: {
        app: hitApp,
        target: {
          origin: hitApp.url,
          path: '/bench/baseline',
          bodies: lookups,
          headers: BENCH_AUTH,
        },
      },
      miss: {
        app: missApp,
        target: {
          origin: missApp.url,
          path: '/v1/routing/lookup',
          bodies: lookups,
          headers: BENCH_AUTH,
        },
      },
    };
    const results: Record<string, Measured[]> = { bare: [], hit: [], baseline: [], miss: [] };
    const chosen = Object.entries(targets).filter(
      ([name]) => name === 'bare' || name === 'baseline' || ONLY.includes(name),
    );
    for (let run = 1; run <= RUNS; run += 1) {
      // Every target's saturation back to back (hit right after bare), then every fixed rate:
      // on a shared machine, targets measured close together see the same background load.
      const sats = new Map<string, Pick<Measured, 'sat' | 'elu' | 'cpuUs'>>();
      for (const [name, { app, target }] of chosen) {
        sats.set(name, await saturation(`${name}-run${run}`, target, app.app));
      }
      for (const [name, { app, target }] of chosen) {
        const m = { ...sats.get(name)!, fixed: await fixedRate(target, app.app) };
        results[name]!.push(m);
        console.error(
          `run ${run} ${name}: ${fmt(m.sat.perSecond)}/s sat p99 ${fmt(m.sat.p99Ms, 2)} ms, ` +
            `service loop ${fmt(m.elu * 100)} % busy, ${fmt(m.cpuUs)} µs CPU a request; ` +
            `${RATE}/s p99 ${fmt(m.fixed.p99Ms, 2)} ms; sources ${JSON.stringify(m.sat.sources)}; ` +
            `errors ${m.sat.errors + m.fixed.errors}, non-2xx ${m.sat.answered - m.sat.ok + m.fixed.answered - m.fixed.ok}`,
        );
      }
    }
    printTable(results);
    const listener = hitApp.app.get(RouteCacheListener);
    console.log(
      `cache listener of the hit instance: interrupted ${listener.interruptions} time(s) ` +
        `(each empties the cache; lookups read the database until it is back)`,
    );
  } finally {
    await hitApp.app.close();
    await missApp.app.close();
    await sim.close();
    await db.drop();
  }
}

function printTable(results: Record<string, Measured[]>): void {
  const sat = (name: string) => median(results[name]!.map((m) => m.sat.perSecond));
  const fixedP99 = (name: string) => median(results[name]!.map((m) => m.fixed.p99Ms));
  const bare = sat('bare');
  const base = sat('baseline');
  console.log(
    `\nRouting lookups — ${cpus().length} cores, ${RUNS} runs × ${SECONDS} s per mode, medians; ` +
      `saturation with ${CONNECTIONS} connections; fixed rate ${RATE}/s (latency from due time)\n`,
  );
  console.log(
    '| target | sat. req/s | vs bare | vs baseline | service µs CPU/req | sat. p50 ms | sat. p99 ms | fixed achieved/s | fixed p50 ms | fixed p99 ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, ms] of Object.entries(results)) {
    if (ms.length === 0) continue;
    const rate = sat(name);
    console.log(
      `| ${name} | ${fmt(rate)} | ${fmt((100 * rate) / bare)} % | ${fmt((100 * rate) / base)} % | ` +
        `${fmt(median(ms.map((m) => m.cpuUs)))} | ` +
        `${fmt(median(ms.map((m) => m.sat.p50Ms)), 2)} | ${fmt(median(ms.map((m) => m.sat.p99Ms)), 2)} | ` +
        `${fmt(median(ms.map((m) => m.fixed.perSecond)))} | ${fmt(median(ms.map((m) => m.fixed.p50Ms)), 2)} | ` +
        `${fmt(fixedP99(name), 2)} |`,
    );
  }
  if (results.hit!.length === 0) return;
  // Per run, hit over the bare route measured just before it; the median of those.
  const ratio = median(
    results.hit!.map((m, run) => (100 * m.sat.perSecond) / results.bare![run]!.sat.perSecond),
  );
  // The same per run from the service thread's CPU a request: what the ratio would be were the
  // service's thread the only limit (the load's thread and other processes left out).
  const cpuRatio = median(
    results.hit!.map((m, run) => (100 * results.bare![run]!.cpuUs) / m.cpuUs),
  );
  const p99 = fixedP99('hit');
  console.log(
    `\nhit / bare (median of per-run ratios) = ${fmt(ratio)} % ` +
      `(target ≥ 60 %: ${ratio >= 60 ? 'met' : 'NOT met'}; by the service thread's CPU a ` +
      `request, bare / hit = ${fmt(cpuRatio)} %); ` +
      `p99 at ${RATE}/s: hit ${fmt(p99, 2)} ms (target ≤ 5 ms: ${p99 <= 5 ? 'met' : 'NOT met'}), ` +
      `bare ${fmt(fixedP99('bare'), 2)} ms, baseline ${fmt(fixedP99('baseline'), 2)} ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
