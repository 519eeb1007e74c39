/**
 * A burst much larger than the database pool: BURST binds at once against the built service
 * (child process) with the default pool (DATABASE_POOL_SIZE=10) and queue bound. Every request
 * must be served or refused quickly — 201, or 503 DATABASE_UNAVAILABLE once it waited
 * DATABASE_CONNECT_TIMEOUT_MS or found the queue full — never a 500 and never starved (issue 11:
 * 400 concurrent binds on a pool of 10 used to give 57 × 500 "Unable to start a transaction").
 *
 *   npm run build && node dist/bench/pool-burst.js
 *   (DATABASE_URL optional; RUNS=3 BURST=400 LATENCY_MS=0; DATABASE_POOL_SIZE and the other
 *    DATABASE_* settings are passed to the service when set)
 */
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../simulator/server.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_KEY } from './support/bench-key.js';
import { benchServiceEnv, exited, startService } from './support/child-service.js';
import { median, printTable } from './support/load.js';
import { OrderBook, send } from './support/order-book.js';
import { intSetting } from './support/settings.js';

const RUNS = intSetting('RUNS', 3, 1, 20);
const BURST = intSetting('BURST', 400, 1, 5000);
const LATENCY_MS = intSetting('LATENCY_MS', 0, 0, 5000);
const POOL = 'FCBURST';
const KEY = { accessKeyId: 'burst-id', accessKeySecret: 'burst-secret' };
const PASSED = [
  'DATABASE_POOL_SIZE',
  'DATABASE_POOL_MAX_WAITING',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_QUERY_TIMEOUT_MS',
];

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error('pool-burst: gave up after 600 s');
    process.exit(2);
  }, 600_000);
  deadline.unref();
  const db = await createBenchDatabase('burst');
  const sim = await startSimulator({
    ...KEY,
    poolKeys: [POOL],
    ownedPerCity: 0,
    stockPerCity: 200,
  });
  const extra = Object.fromEntries(
    PASSED.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]),
  );
  const service = await startService(
    await benchServiceEnv({
      databaseUrl: db.url,
      providerUrl: sim.url,
      provider: KEY,
      poolKey: POOL,
      extra,
    }),
    () => undefined,
  );
  const rows: Array<Record<string, string | number>> = [];
  let failed = false;
  try {
    // Enough numbers for BURST pairs per run (200 pairs each).
    await send(BENCH_KEY, 'POST', `${service.url}/v1/pools/${POOL}/numbers`, {
      spec: 2,
      city: '杭州',
      count: Math.min(50, Math.ceil((BURST * RUNS) / 200) + 1),
    });
    if (LATENCY_MS > 0) {
      await fetch(`${sim.controlUrl}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'BindAxb', latencyMs: LATENCY_MS, count: 1_000_000 }),
      });
    }
    for (let run = 1; run <= RUNS; run += 1) {
      const book = new OrderBook(POOL, `burst${run}`, run, BENCH_KEY);
      const times: number[] = [];
      const statuses: Record<string, number> = {};
      const started = performance.now();
      await Promise.all(
        Array.from({ length: BURST }, async (_, i) => {
          const t0 = performance.now();
          const res = await send(BENCH_KEY, 'POST', `${service.url}/v1/bindings`, book.order(i));
          times.push(performance.now() - t0);
          const key = `${res.status}${typeof res.status === 'number' && res.status >= 400 ? ` ${String(res.body.code)}` : ''}`;
          statuses[key] = (statuses[key] ?? 0) + 1;
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      // The database's side: never a 500, never a request left without an answer. (Provider
      // answers — timeouts when LATENCY_MS queues BindAxb on PROVIDER_CONNECTIONS — are theirs.)
      const bad = Object.keys(statuses).filter(
        (k) =>
          k.startsWith('500') ||
          k === 'no answer' ||
          (k.startsWith('503') &&
            !k.endsWith('DATABASE_UNAVAILABLE') &&
            !k.endsWith('BIND_OUTCOME_PENDING')),
      );
      if (bad.length > 0) failed = true;
      times.sort((a, b) => a - b);
      rows.push({
        run,
        binds: BURST,
        answers: Object.entries(statuses)
          .map(([k, v]) => `${k}×${v}`)
          .join(', '),
        seconds: Number(seconds.toFixed(2)),
        'p50 ms': Math.round(median(times)),
        'p99 ms': Math.round(times[Math.floor(times.length * 0.99) - 1] ?? times.at(-1)!),
        'max ms': Math.round(times.at(-1)!),
        verdict: bad.length === 0 ? 'ok' : `FAILED (${bad.join(', ')})`,
      });
    }
    printTable(
      `${BURST} binds at once, pool ${extra.DATABASE_POOL_SIZE ?? '10 (default)'}` +
        (LATENCY_MS ? `, BindAxb latency ${LATENCY_MS} ms` : ''),
      rows,
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    service.child.kill('SIGTERM');
    await exited(service.child);
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
