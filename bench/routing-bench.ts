import 'reflect-metadata';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RoutedEventsWriter } from '../src/routing/routed-events.writer.js';
import {
  seedBindings,
  startDatabase,
  startService,
  startSimulatorThread,
  type SeededBinding,
} from './routing/bench-setup.js';
import type { LoadSummary, LoadTarget } from './routing/load.js';
import type { LoadJob } from './routing/load-worker.js';
import { BENCH_AUTH } from './support/bench-key.js';

/**
 * Routing lookup benchmark. One process: Postgres (DATABASE_URL's server, else embedded), the
 * simulator on a worker thread, the service through the real bootstrap() on the main thread, the
 * load generator on another worker thread. Three targets, each at saturation and at a fixed
 * offered rate, in every run:
 *   baseline — POST /bench/baseline: the same request shape, one indexed read of the binding;
 *   hit      — POST /v1/routing/lookup, answers warmed into the cache (long TTL);
 *   miss     — POST /v1/routing/lookup on a second instance with the cache off: every lookup
 *              asks the simulator's QueryCallStatus.
 * Medians over the runs are printed. Bounded: BENCH_RUNS × 3 targets × 2 modes × BENCH_SECONDS.
 *
 *   npm run build && node dist/bench/routing-bench.js
 *   BENCH_RUNS=3 BENCH_SECONDS=3 BENCH_RATE=1000 BENCH_CONNECTIONS=16 BENCH_TARGETS=hit,miss
 *   DATABASE_URL=… (all optional)
 */

const RUNS = intSetting('BENCH_RUNS', 3, 1, 10);
const SECONDS = intSetting('BENCH_SECONDS', 3, 1, 30);
const RATE = intSetting('BENCH_RATE', 1000, 10, 20_000);
const CONNECTIONS = intSetting('BENCH_CONNECTIONS', 16, 1, 256);
const BINDINGS = 200;
/** Which targets to measure (comma-separated); the baseline is always measured. */
const ONLY = (process.env.BENCH_TARGETS ?? 'hit,miss').split(',').map((t) => t.trim());

function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in ${min}..${max}`);
  }
  return value;
}

function runLoad(job: LoadJob): Promise<LoadSummary> {
  const worker = new Worker(new URL('./routing/load-worker.js', import.meta.url), {
    workerData: job,
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (summary: LoadSummary) => resolve(summary));
    worker.once('error', reject);
  });
}

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
}

async function measure(target: LoadTarget, app: NestFastifyApplication): Promise<Measured> {
  const durationMs = SECONDS * 1000;
  const before = performance.eventLoopUtilization();
  const sat = await runLoad({
    kind: 'saturate',
    target,
    options: { connections: CONNECTIONS, durationMs, maxRequests: 200_000 },
  });
  const elu = performance.eventLoopUtilization(before).utilization;
  await app.get(RoutedEventsWriter).flush();
  const fixed = await runLoad({
    kind: 'fixed',
    target,
    options: { rate: RATE, durationMs, connections: 64, maxInFlight: 512 },
  });
  await app.get(RoutedEventsWriter).flush();
  return { sat, fixed, elu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  const db = await startDatabase(process.env.DATABASE_URL);
  const sim = await startSimulatorThread();
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
      baseline: {
        app: hitApp,
        target: {
          origin: hitApp.url,
          path: '/bench/baseline',
          bodies: lookups,
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
    const results: Record<string, Measured[]> = { baseline: [], hit: [], miss: [] };
    for (let run = 1; run <= RUNS; run += 1) {
      for (const [name, { app, target }] of Object.entries(targets)) {
        if (name !== 'baseline' && !ONLY.includes(name)) continue;
        const m = await measure(target, app.app);
        results[name]!.push(m);
        console.error(
          `run ${run} ${name}: ${fmt(m.sat.perSecond)}/s sat p99 ${fmt(m.sat.p99Ms, 2)} ms, ` +
            `service loop ${fmt(m.elu * 100)} % busy; ` +
            `${RATE}/s p99 ${fmt(m.fixed.p99Ms, 2)} ms; sources ${JSON.stringify(m.sat.sources)}; ` +
            `errors ${m.sat.errors + m.fixed.errors}, non-2xx ${m.sat.answered - m.sat.ok + m.fixed.answered - m.fixed.ok}`,
        );
      }
    }
    printTable(results);
  } finally {
    await hitApp.app.close();
    await missApp.app.close();
    await sim.stop();
    await db.stop();
  }
}

function printTable(results: Record<string, Measured[]>): void {
  const base = median(results.baseline!.map((m) => m.sat.perSecond));
  console.log(
    `\nRouting lookups — ${cpus().length} cores, ${RUNS} runs × ${SECONDS} s per mode, medians; ` +
      `saturation with ${CONNECTIONS} connections; fixed rate ${RATE}/s (latency from due time)\n`,
  );
  console.log(
    '| target | sat. lookups/s | vs baseline | sat. p50 ms | sat. p99 ms | fixed achieved/s | fixed p50 ms | fixed p99 ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, ms] of Object.entries(results)) {
    if (ms.length === 0) continue;
    const sat = median(ms.map((m) => m.sat.perSecond));
    console.log(
      `| ${name} | ${fmt(sat)} | ${fmt((100 * sat) / base)} % | ` +
        `${fmt(median(ms.map((m) => m.sat.p50Ms)), 2)} | ${fmt(median(ms.map((m) => m.sat.p99Ms)), 2)} | ` +
        `${fmt(median(ms.map((m) => m.fixed.perSecond)))} | ${fmt(median(ms.map((m) => m.fixed.p50Ms)), 2)} | ` +
        `${fmt(median(ms.map((m) => m.fixed.p99Ms)), 2)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
