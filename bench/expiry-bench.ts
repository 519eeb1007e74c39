/**
 * Expiry sweep: how long the real sweep handler takes to expire N live bindings that are all due
 * at once (one `expired` event each, their live pairs gone), for N = 10k, 100k and 300k. Several
 * runs per size on a freshly seeded table; the table shows each run, the median, and the share of
 * HOT updates of every table the sweeps updated (n_tup_hot_upd / n_tup_upd). Target (issue 21):
 * 100k in under 1 s, linear to 300k.
 *
 *   npm run build && node dist/bench/expiry-bench.js
 *   (DATABASE_URL optional: unset, an embedded Postgres is used; RUNS, SIZES=10000,100000,300000,
 *    BATCH_SIZE / WORKERS = SCHEDULER_EXPIRY_BATCH_SIZE / _WORKERS, DEADLINE_S bounds it all)
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { Progress } from '../src/common/progress/progress.js';
import { ExpirySweepJob } from '../src/scheduler/expiry-sweep.job.js';
import { createBenchDatabase } from './support/bench-database.js';
import { CpuMeter } from './support/cpu-meter.js';
import { hotShare, readUpdates, updatesBetween, type TableUpdates } from './support/hot-updates.js';
import { median, printTable } from './support/load.js';
import { PrismaService } from '../src/prisma/prisma.service.js';
import { seedDueBindings } from './expiry/seed-due-bindings.js';

const RUNS = Number(process.env.RUNS ?? 3);
const SIZES = (process.env.SIZES ?? '10000,100000,300000').split(',').map(Number);
const BATCH_SIZE = process.env.BATCH_SIZE ?? '5000';
const WORKERS = process.env.WORKERS ?? '2';
const DEADLINE_S = Number(process.env.DEADLINE_S ?? 600);
const POOL_KEY = 'FCEXPIRYBENCH';

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`expiry bench: gave up after ${DEADLINE_S} s`);
    process.exit(2);
  }, DEADLINE_S * 1000);
  deadline.unref();

  const db = await createBenchDatabase('expiry');
  const config = loadConfig({
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    MIGRATE_ON_START: 'false',
    SCHEDULER_ENABLED: 'false',
    SCHEDULER_EXPIRY_BATCH_SIZE: BATCH_SIZE,
    SCHEDULER_EXPIRY_WORKERS: WORKERS,
    // Never called: the sweep does not talk to the provider.
    PROVIDER_ENDPOINT: 'http://127.0.0.1:9/',
    DEFAULT_POOL_KEY: POOL_KEY,
  });
  const app = await bootstrap(config);
  await app.init();
  const sweep = app.get(ExpirySweepJob);
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  const rows: Array<Record<string, string | number>> = [];
  const hot = new Map<string, TableUpdates>();
  const meter = new CpuMeter(check);
  const servicePool = app.get(PrismaService).pgPool;
  const progress = new Progress('expiry bench', { total: SIZES.length * RUNS, unit: 'runs' });
  try {
    for (const size of SIZES) {
      const seconds: number[] = [];
      const cpus: number[] = [];
      for (let run = 1; run <= RUNS; run += 1) {
        progress.note(`seeding ${size} due bindings (run ${run} of ${RUNS})`);
        await seedDueBindings(db.url, POOL_KEY, size);
        const stats0 = await readUpdates(check, [servicePool]);
        progress.note(`sweeping ${size} (run ${run} of ${RUNS})`);
        const cpu0 = await meter.read();
        const started = performance.now();
        const counts = await sweep.run();
        const s = (performance.now() - started) / 1000;
        const cpu1 = await meter.read();
        const pgCpu =
          cpu0.postgresMs === null || cpu1.postgresMs === null
            ? null
            : (cpu1.postgresMs - cpu0.postgresMs) / 1000;
        for (const t of updatesBetween(stats0, await readUpdates(check, [servicePool]))) {
          const sum = hot.get(t.table) ?? { table: t.table, updates: 0, hot: 0 };
          sum.updates += t.updates;
          sum.hot += t.hot;
          hot.set(t.table, sum);
        }
        progress.advance(1, '');
        const { rows: done } = await check.query<{ expired: number; events: number; live: number }>(
          `SELECT (SELECT count(*)::int FROM bindings WHERE state = 'expired') AS expired,
                  (SELECT count(*)::int FROM binding_events WHERE kind = 'expired') AS events,
                  (SELECT count(*)::int FROM live_pairs) AS live`,
        );
        if (
          counts.expired !== size ||
          done[0]!.expired !== size ||
          done[0]!.events !== size ||
          done[0]!.live !== 0
        ) {
          throw new Error(`run ${run} of ${size}: ${JSON.stringify({ counts, done: done[0] })}`);
        }
        seconds.push(s);
        rows.push({
          rows: size,
          run,
          batches: counts.batches!,
          seconds: s.toFixed(2),
          'rows/s': Math.round(size / s),
          // CPU time, which a busy machine inflates far less than wall time.
          'postgres cpu s': pgCpu === null ? '-' : pgCpu.toFixed(2),
          'µs cpu/row': pgCpu === null ? '-' : Math.round((pgCpu * 1e6) / size),
        });
        cpus.push(pgCpu ?? NaN);
      }
      const m = median(seconds);
      rows.push({
        rows: size,
        run: 'median',
        batches: '',
        seconds: m.toFixed(2),
        'rows/s': Math.round(size / m),
        'postgres cpu s': median(cpus).toFixed(2),
        'µs cpu/row': Math.round((median(cpus) * 1e6) / size),
      });
    }
  } finally {
    progress.finish();
    await check.end();
    await app.close();
    await db.drop();
  }
  printTable(
    `Expiry sweep, batch size ${BATCH_SIZE}, ${WORKERS} worker(s), ${RUNS} run(s) per size ` +
      `(load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    rows,
  );
  printTable(
    'Tables the sweeps updated: n_tup_hot_upd / n_tup_upd (live_pairs rows are deleted, not updated)',
    [...hot.values()].map((t) => ({
      table: t.table,
      updates: t.updates,
      'HOT updates': t.hot,
      'HOT share': hotShare(t),
    })),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
