/**
 * History at scale (issue 22, item 5): admin searches and binds beside a big record.
 *
 * Two fresh databases on one server (DATABASE_URL's, else embedded): one left empty, one seeded
 * with HISTORY ended bindings over six months (bench/history/seed-history.ts: events, calls,
 * progress, routed counters, Zipf-like numbers, the oldest AGED_SHARE aged); or, with
 * HISTORY_DATABASE_URL, a database seeded before by `npm run seed:history` with the same HISTORY,
 * SEED and AGED_SHARE (the bench changes it: its binds, and the drop and aging phases). The
 * simulator on a worker thread, one service per database on its own thread (real bootstrap()).
 * Each run:
 *   - binds at saturation (CONCURRENCY, BINDS) on the empty record and beside the history, in
 *     alternating order: the rate beside HISTORY within 10 % of the empty record's;
 *   - SEARCHES admin searches of each kind, one at a time, pages of 50 following nextCursor up
 *     to PAGES pages: p50/p95 of every page (target p95 < 50 ms each);
 * then, once, beside binds at a fixed rate (DROP_SHARE % of the rate measured beside the history),
 * the drop of the oldest month (month-drop.ts) and the privacy aging of up to AGING ended
 * bindings by the product's repository (aging-run.ts, bounded at AGING_MAX_S; its rate gives
 * the time for 1M).
 * Medians over the runs.
 *
 *   npm run build && node dist/bench/history-bench.js
 *   HISTORY=1000000 RUNS=3 SEARCHES=100 PROBE_SEED=1000 PAGES=3 BINDS=1500 CONCURRENCY=16 NUMBERS=20
 *   AGED_SHARE=0.2 SEED=1 DROP_SECONDS=10 DROP_SHARE=50 AGING=1000000 AGING_BATCH=5000
 *   AGING_WORKERS=2 PHASES=binds,searches,drop,aging
 *   AGING_MAX_S=60 DROP_MONTH_CACHE=kept|evicted HISTORY_DATABASE_URL=… DATABASE_URL=… (all optional)
 */
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { POOL, SIMULATOR, startServiceThread } from './routing/bench-setup.js';
import { BindRate, type BindTarget } from './history/bind-rate.js';
import { agedNumbers } from './history/aged-numbers.js';
import { loadConfig } from '../src/config/load-config.js';
import { runAging } from './history/aging-run.js';
import { dropMonth, oldestMonth } from './history/month-drop.js';
import { evictMonthCache } from './history/evict-month-cache.js';
import { seedHistory } from './history/seed-history.js';
import { seedSummaryLines } from './history/seed-summary.js';
import { runProbes, searchProbes, type PageTimes } from './history/search-probes.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_API_KEYS, BENCH_AUTH } from './support/bench-key.js';
import { median, printTable, type LoadSummary } from './support/load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

const HISTORY = intSetting('HISTORY', 1_000_000, 1_000, 100_000_000);
const RUNS = intSetting('RUNS', 3, 1, 10);
const SEARCHES = intSetting('SEARCHES', 100, 5, 10_000);
/**
 * Run r draws its searched numbers with seed PROBE_SEED + r: the same numbers every invocation
 * unless changed, so a second invocation reads what the first left in the caches; another
 * PROBE_SEED searches numbers nothing has read yet (a cold measure on a warm machine).
 */
const PROBE_SEED = intSetting('PROBE_SEED', 1000, 0, 2 ** 30);
const PAGES = intSetting('PAGES', 3, 1, 20);
const BINDS = intSetting('BINDS', 1500, 50, 20_000);
const CONCURRENCY = intSetting('CONCURRENCY', 16, 1, 256);
const NUMBERS = intSetting('NUMBERS', 20, 1, 200);
const SEED = intSetting('SEED', 1, 0, 2 ** 31);
const AGED_SHARE = Number(process.env.AGED_SHARE ?? '0.2');
/** The services' PHONE_HASH_SECRET, and the one aged numbers are seeded with. */
const HASH_SECRET = process.env.PHONE_HASH_SECRET ?? 'history-bench-hash-secret-0123456789';
const MASK_AFTER_DAYS = 30;
const DROP_SECONDS = intSetting('DROP_SECONDS', 10, 3, 120);
const DROP_SHARE = intSetting('DROP_SHARE', 50, 1, 100);
/**
 * The dropped month's files in the OS page cache: `kept` as the run left them (a seeded record is
 * wholly cached), or `evicted` first, as a month past retention is on a server whose record
 * outgrows memory (evict-month-cache.ts: needs the server on this machine and root or postgres).
 */
const DROP_MONTH_CACHE = process.env.DROP_MONTH_CACHE ?? 'kept';
if (DROP_MONTH_CACHE !== 'kept' && DROP_MONTH_CACHE !== 'evicted') {
  throw new Error('DROP_MONTH_CACHE must be kept or evicted');
}
const AGING = intSetting('AGING', 1_000_000, 1_000, 100_000_000);
const AGING_BATCH = intSetting('AGING_BATCH', 5_000, 10, 20_000);
const AGING_WORKERS = intSetting('AGING_WORKERS', 2, 1, 8);
const AGING_MAX_S = intSetting('AGING_MAX_S', 60, 5, 3_600);
const AGING_TARGET_S = 60;
/** Which phases run (all by default): binds, searches, drop, aging. */
const PHASES = new Set((process.env.PHASES ?? 'binds,searches,drop,aging').split(','));
/** Binds/s offered during the drop and aging when the binds phase does not run to measure it. */
const DURING_RATE = intSetting('DURING_RATE', 20, 2, 1_000);
const PAGE = 50;
const SEARCH_P95_MS = 50;
const BIND_WITHIN = 0.1;
const PHASE_DEADLINE_MS = 120_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function main(): Promise<void> {
  if (!(AGED_SHARE >= 0 && AGED_SHARE <= 1)) throw new Error('AGED_SHARE must be in 0..1');
  const empty = await createBenchDatabase('history_empty');
  const owned = process.env.HISTORY_DATABASE_URL ? undefined : await createBenchDatabase('history');
  const historyUrl = process.env.HISTORY_DATABASE_URL ?? owned!.url;
  const shape = {
    bindings: HISTORY,
    months: 6,
    endMs: Date.now() - 600_000,
    seed: SEED,
    poolKey: POOL,
    agedShare: AGED_SHARE,
  };
  const sim = await startSimulatorThread({
    ...SIMULATOR,
    stockPerCity: Math.max(200, NUMBERS * 2),
  });
  // A service thread loads its own copy of bench-key.ts: it is given this thread's key.
  const env = {
    API_KEYS: BENCH_API_KEYS,
    PHONE_SEARCH_PER_MINUTE: '100000',
    PHONE_HASH_SECRET: HASH_SECRET,
    PHONE_MASK_AFTER_DAYS: String(MASK_AFTER_DAYS),
    LOG_LEVEL: 'error',
  };
  const services: Array<{ stop: () => Promise<void> }> = [];
  const sql = new pg.Client({ connectionString: historyUrl });
  try {
    if (owned) {
      const summary = await seedHistory(historyUrl, shape, {
        progress: true,
        aged: agedNumbers(HASH_SECRET, MASK_AFTER_DAYS),
      });
      console.log(`History seeded: ${HISTORY} bindings`);
      for (const line of seedSummaryLines(summary)) console.log(line);
    }
    await sql.connect();
    const targets: BindTarget[] = [];
    for (const [name, url] of [
      ['empty record', empty.url],
      [`${HISTORY.toLocaleString('en-US')} bindings of history`, historyUrl],
    ] as const) {
      const service = await startServiceThread(url, sim.url, env);
      services.push(service);
      targets.push({ name, databaseUrl: url, serviceUrl: service.url });
    }
    const [emptyTarget, historyTarget] = targets;
    const binds = new BindRate(POOL, sim.controlUrl, NUMBERS);
    const bindRuns = new Map<string, LoadSummary[]>(targets.map((t) => [t.name, []]));
    const searchRuns: Array<Map<string, PageTimes>> = [];
    const aged = AGED_SHARE > 0 && (await agesNumbers(sql));

    for (let run = 1; run <= RUNS; run += 1) {
      const order = run % 2 === 1 ? [emptyTarget, historyTarget] : [historyTarget, emptyTarget];
      for (const target of PHASES.has('binds') ? order : []) {
        const summary = await binds.measure(target, BINDS, CONCURRENCY, PHASE_DEADLINE_MS);
        bindRuns.get(target.name)!.push(summary);
        console.error(
          `run ${run} binds, ${target.name}: ${summary.perSecond.toFixed(0)}/s ` +
            `p50 ${summary.p50Ms.toFixed(1)} ms p99 ${summary.p99Ms.toFixed(1)} ms ` +
            `${JSON.stringify(summary.statuses)} errors ${summary.errors}`,
        );
      }
      if (!PHASES.has('searches')) continue;
      const probes = await searchProbes(sql, shape, SEARCHES, aged, PROBE_SEED + run);
      const times = await runProbes(historyTarget.serviceUrl, BENCH_AUTH, probes, PAGE, PAGES);
      searchRuns.push(times);
      console.error(
        `run ${run} searches: ` +
          [...times.values()]
            .map((t) => `${t.kind} p95 ${percentile(t.ms, 95).toFixed(1)} ms`)
            .join(', '),
      );
    }

    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `\n${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (1, 5, 15 min) at the end of the runs`,
    );
    const kinds = [...(searchRuns[0]?.keys() ?? [])];
    if (kinds.length > 0)
      printTable(
        `Admin searches over ${HISTORY.toLocaleString('en-US')} bindings (pages of ${PAGE}, up to ` +
          `${PAGES} by keyset paging, one at a time; ${SEARCHES} searches of each kind per run, ` +
          `${RUNS} runs, medians)`,
        kinds.map((kind) => {
          const of = (pick: (t: PageTimes) => number) =>
            median(searchRuns.map((r) => pick(r.get(kind)!)));
          const p95 = of((t) => percentile(t.ms, 95));
          return {
            search: kind,
            pages: of((t) => t.ms.length),
            'next pages': of((t) => t.nextPages),
            'found/search': of((t) => t.found / SEARCHES),
            'p50 ms': of((t) => percentile(t.ms, 50)),
            'p95 ms': p95,
            'max ms': of((t) => Math.max(...t.ms)),
            'non-200': of((t) => t.failures),
            [`p95 < ${SEARCH_P95_MS} ms`]: verdict(p95 < SEARCH_P95_MS),
          };
        }),
      );
    const emptyRate = median(bindRuns.get(emptyTarget.name)!.map((s) => s.perSecond));
    if (PHASES.has('binds'))
      printTable(
        `Binds at ${CONCURRENCY} concurrent (${BINDS} per phase, ${NUMBERS} numbers, ${RUNS} runs, medians)`,
        targets.map((t) => {
          const runs = bindRuns.get(t.name)!;
          const rate = median(runs.map((s) => s.perSecond));
          return {
            record: t.name,
            'binds/s': rate,
            'p50 ms': median(runs.map((s) => s.p50Ms)),
            'p99 ms': median(runs.map((s) => s.p99Ms)),
            'non-2xx': median(runs.map((s) => s.answered - s.ok + s.errors)),
            'vs empty': `${((100 * rate) / emptyRate).toFixed(0)} %`,
            [`within ${BIND_WITHIN * 100} %`]:
              t === emptyTarget ? '-' : verdict(rate >= emptyRate * (1 - BIND_WITHIN)),
          };
        }),
      );

    // Retention: the oldest month dropped while binds run at DROP_SHARE % of their rate here.
    const historyRate = PHASES.has('binds')
      ? median(bindRuns.get(historyTarget.name)!.map((s) => s.perSecond))
      : (DURING_RATE * 100) / DROP_SHARE;
    const oldest = PHASES.has('drop') ? await oldestMonth(historyUrl) : undefined;
    if (!PHASES.has('drop')) {
      // not asked for
    } else if (!oldest) {
      console.log('\nMonth drop: not measured (the record is not partitioned by month).');
    } else {
      const rate = Math.max(2, Math.round((historyRate * DROP_SHARE) / 100));
      const evicted =
        DROP_MONTH_CACHE === 'evicted'
          ? await evictMonthCache(historyUrl, oldest.month)
          : undefined;
      const { binds: during, result: drop } = await binds.during(
        historyTarget,
        rate,
        DROP_SECONDS,
        2_000,
        () => dropMonth(historyUrl, oldest.month, oldest.bindings),
      );
      printTable(
        `Dropping the oldest month while binds run (${rate}/s offered for ${DROP_SECONDS} s, ` +
          `latency from due time; the drop starts 2 s in)`,
        [
          {
            month: drop.month.replace('_', '-'),
            bindings: drop.bindings,
            'OS cache': evicted
              ? `evicted (${(evicted.bytes / 2 ** 30).toFixed(2)} GB, ${evicted.files} files)`
              : 'as left',
            'drop ms': drop.ms,
            'longest lock ms': drop.longestLockMs,
            'lock retries': drop.lockRetries,
            'binds answered': during.answered,
            'binds non-2xx': during.answered - during.ok + during.errors,
            'bind p50 ms': during.p50Ms,
            'bind p99 ms': during.p99Ms,
            'drop < 1 s, no bind failed': verdict(
              drop.ms < 1_000 && during.ok === during.answered && during.errors === 0,
            ),
          },
        ],
      );
    }
    // Privacy aging: up to AGING ended bindings aged by the product's repository, batch after
    // batch as its job runs them, while binds run at the same share of their rate.
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: historyUrl,
      MIGRATE_ON_START: 'false',
      PROVIDER_ENDPOINT: sim.url,
      PROVIDER_ACCESS_KEY_ID: SIMULATOR.accessKeyId,
      PROVIDER_ACCESS_KEY_SECRET: SIMULATOR.accessKeySecret,
      API_KEYS: BENCH_API_KEYS,
      PHONE_HASH_SECRET: HASH_SECRET,
      PHONE_MASK_AFTER_DAYS: String(MASK_AFTER_DAYS),
    });
    const agingRate = Math.max(2, Math.round((historyRate * DROP_SHARE) / 100));
    if (!PHASES.has('aging')) return;
    const { binds: whileAging, result: agingRun } = await binds.during(
      historyTarget,
      agingRate,
      Math.min(AGING_MAX_S, 60),
      2_000,
      () => runAging(historyUrl, config, AGING, AGING_BATCH, AGING_MAX_S * 1000, AGING_WORKERS),
    );
    const perSecond = agingRun.bindings / (agingRun.ms / 1000);
    printTable(
      `Privacy aging while binds run (${agingRate}/s offered; batches of ${AGING_BATCH}, ` +
        `${AGING_WORKERS} at once; ` +
        `bounded at ${AGING_MAX_S} s)`,
      [
        {
          'due before': agingRun.due,
          'bindings aged': agingRun.bindings,
          'calls aged': agingRun.calls,
          batches: agingRun.batches,
          seconds: agingRun.ms / 1000,
          'bindings/s': perSecond,
          'time for 1M s': 1_000_000 / perSecond,
          'HOT share bindings': agingRun.hot.bindings,
          'HOT share calls': agingRun.hot.calls,
          'binds non-2xx': whileAging.answered - whileAging.ok + whileAging.errors,
          'bind p99 ms': whileAging.p99Ms,
          [`1M < ${AGING_TARGET_S} s`]: verdict(1_000_000 / perSecond < AGING_TARGET_S),
        },
      ],
    );
  } finally {
    await sql.end().catch(() => undefined);
    for (const s of services) await s.stop();
    await sim.close();
    await owned?.drop();
    await empty.drop();
  }
}

/** Whether this schema ages numbers (a hash column beside the number: issue 22 item 2). */
async function agesNumbers(sql: pg.Client): Promise<boolean> {
  const { rows } = await sql.query(
    `SELECT 1 FROM information_schema.columns
      WHERE table_name = 'bindings' AND column_name = 'phone_a_hash'`,
  );
  return rows.length > 0;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
