/**
 * Bind throughput: binds per second and p50/p99 through the service (POST /v1/bindings → pending
 * row → BindAxb at the simulator → active), beside the simulator's own BindAxb rate measured
 * directly with our client in the same run. Several runs; the table shows each and the median.
 *
 *   npm run build && node dist/bench/bind-bench.js   (DATABASE_URL optional; RUNS, BINDS, CONCURRENCY)
 */
import { Pool } from 'undici';
import { startSimulator } from '../simulator/server.js';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { PrismaService } from '../src/prisma/prisma.service.js';
import { DyplsapiClient } from '../src/provider/dyplsapi/dyplsapi.client.js';
import { createBenchDatabase } from './support/bench-database.js';
import { median, printTable, runClosedLoop, type LoadResult } from './support/load.js';
import { BENCH_API_KEYS, BENCH_AUTH, BENCH_RATE_LIMIT } from './support/bench-key.js';

const RUNS = Number(process.env.RUNS ?? 3);
const BINDS = Number(process.env.BINDS ?? 1500);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const POOL_KEY = 'FCBENCH';
const KEY = { accessKeyId: 'bench-id', accessKeySecret: 'bench-secret' };
const NUMBERS = 20;

const phone = (prefix: string, i: number) => `${prefix}${String(i).padStart(8, '0')}`;

async function main(): Promise<void> {
  const db = await createBenchDatabase('bind');
  const sim = await startSimulator({
    ...KEY,
    poolKeys: [POOL_KEY],
    ownedPerCity: 0,
    stockPerCity: 200,
  });
  const config = loadConfig({
    LOG_LEVEL: 'error',
    API_KEYS: BENCH_API_KEYS,
    RATE_LIMIT_PER_SECOND: BENCH_RATE_LIMIT,
    RATE_LIMIT_BURST: BENCH_RATE_LIMIT,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '20',
    MIGRATE_ON_START: 'false',
    PROVIDER_ENDPOINT: sim.url,
    PROVIDER_ACCESS_KEY_ID: KEY.accessKeyId,
    PROVIDER_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    DEFAULT_POOL_KEY: POOL_KEY,
  });
  const app = await bootstrap(config);
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const http = new Pool(base, { connections: CONCURRENCY });
  const client = new DyplsapiClient(config.provider);
  const prisma = app.get(PrismaService);
  const control = (path: string, body?: unknown) =>
    fetch(`${sim.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...BENCH_AUTH },
      body: JSON.stringify(body ?? {}),
    });
  const rows: Array<Record<string, string | number>> = [];
  const results: Record<string, LoadResult[]> = { simulator: [], service: [] };
  try {
    for (let run = 1; run <= RUNS; run += 1) {
      // A clean slate per run: the simulator's stock and our inventory, then NUMBERS numbers bought.
      await control('/reset');
      await prisma.$executeRawUnsafe('TRUNCATE bindings, binding_events, secret_numbers CASCADE');
      const bought = await http.request({
        method: 'POST',
        path: `/v1/pools/${POOL_KEY}/numbers`,
        headers: { 'content-type': 'application/json', ...BENCH_AUTH },
        body: JSON.stringify({ spec: 2, city: '杭州', count: NUMBERS }),
      });
      await bought.body.text();

      const expiresAt = new Date(Date.now() + 3_600_000);
      const direct = await runClosedLoop(
        async (i) => {
          await client.bindAxb({
            poolKey: POOL_KEY,
            phoneA: phone('135', i + run * 1e6),
            phoneB: phone('136', i + run * 1e6),
            expiresAt,
          });
          return true;
        },
        { total: BINDS, concurrency: CONCURRENCY, deadlineMs: 60_000 },
      );
      const service = await runClosedLoop(
        async (i) => {
          const res = await http.request({
            method: 'POST',
            path: '/v1/bindings',
            headers: { 'content-type': 'application/json', ...BENCH_AUTH },
            body: JSON.stringify({
              outId: `bench-${run}-${i}`,
              phoneA: phone('137', i),
              phoneB: phone('139', i),
              ttlSeconds: 3600,
            }),
          });
          await res.body.text();
          return res.statusCode === 201;
        },
        { total: BINDS, concurrency: CONCURRENCY, deadlineMs: 120_000 },
      );
      results.simulator!.push(direct);
      results.service!.push(service);
      for (const [target, r] of [
        ['simulator BindAxb (direct)', direct],
        ['service POST /v1/bindings', service],
      ] as const) {
        rows.push({
          run,
          target,
          calls: r.calls,
          errors: r.errors,
          'per s': r.perSecond,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
        });
      }
    }
    const sim = results.simulator!;
    const svc = results.service!;
    rows.push({
      run: 'median',
      target: 'simulator BindAxb (direct)',
      calls: median(sim.map((r) => r.calls)),
      errors: median(sim.map((r) => r.errors)),
      'per s': median(sim.map((r) => r.perSecond)),
      'p50 ms': median(sim.map((r) => r.p50Ms)),
      'p99 ms': median(sim.map((r) => r.p99Ms)),
    });
    rows.push({
      run: 'median',
      target: 'service POST /v1/bindings',
      calls: median(svc.map((r) => r.calls)),
      errors: median(svc.map((r) => r.errors)),
      'per s': median(svc.map((r) => r.perSecond)),
      'p50 ms': median(svc.map((r) => r.p50Ms)),
      'p99 ms': median(svc.map((r) => r.p99Ms)),
    });
    printTable(
      `Binds: ${BINDS} per target per run, ${CONCURRENCY} concurrent, ${NUMBERS} numbers in the pool`,
      rows,
    );
    const ratio = median(svc.map((r) => r.perSecond)) / median(sim.map((r) => r.perSecond));
    console.log(`\nservice / simulator-direct throughput (medians): ${(ratio * 100).toFixed(0)}%`);
  } finally {
    await http.close();
    await client.close();
    await app.close();
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
