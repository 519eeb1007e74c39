import { cpus, loadavg } from 'node:os';
import { hotShare, type TableUpdates } from '../support/hot-updates.js';
import { median, printTable, type LoadSummary } from '../support/load.js';

export type Target = 'simulator' | 'bare' | 'service';

/** One phase of the bind benchmark: a target at a concurrency, beside a record size, in one run. */
export interface Measured {
  run: number;
  target: Target;
  concurrency: number;
  /** Ended bindings in the record during the phase. */
  history: number;
  summary: LoadSummary;
  /** Event-loop utilisation of the service's thread during the phase (1 = always busy). */
  elu: number;
  /** How busy the machine's cores were during the phase (every process), e.g. '74 %'. */
  machineBusy: string;
  /** CPU ms per bind: this process (all threads), and the Postgres backends (null: unknown). */
  cpu: { processMs: number; postgresMs: number | null };
  /** Tables the phase updated, with their HOT updates. */
  hot: TableUpdates[];
}

/** The open-loop phase of a run: the service at a fixed offered rate. */
export interface FixedRun {
  run: number;
  rate: number;
  summary: LoadSummary;
}

export interface ReportSettings {
  binds: number;
  sequentialBinds: number;
  numbers: number;
  runs: number;
  concurrencies: number[];
  headline: number;
  history: number;
  histories: number[];
  fixedShare: number;
  fixedSeconds: number;
}

const NAMES: Record<Target, string> = {
  simulator: 'simulator BindAxb direct',
  bare: 'bare durable bind',
  service: 'service POST /v1/bindings',
};

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;

/**
 * The bind benchmark's tables: every phase; the medians per concurrency with the service beside
 * the bare durable bind and simulator-direct; HOT updates per table; the record sizes; the
 * fixed-rate phases; and the headline lines at 16 concurrent.
 */
export function report(results: Measured[], fixed: FixedRun[], settings: ReportSettings): void {
  const { binds, sequentialBinds, numbers, runs, concurrencies, headline, history } = settings;
  printTable(
    `Binds, every phase (${binds} per phase, ${sequentialBinds} sequential; ${numbers} numbers; ` +
      `${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    results.map((m) => ({
      run: m.run,
      target: NAMES[m.target],
      concurrent: m.concurrency,
      history: m.history,
      ok: m.summary.ok,
      'not ok': m.summary.answered - m.summary.ok + m.summary.errors,
      'binds/s': Math.round(m.summary.perSecond),
      'p50 ms': m.summary.p50Ms,
      'p99 ms': m.summary.p99Ms,
      'loop busy': `${(m.elu * 100).toFixed(0)} %`,
      'machine busy': m.machineBusy,
      'cpu ms/bind node': m.cpu.processMs,
      'cpu ms/bind pg': m.cpu.postgresMs ?? '-',
    })),
  );
  const of = (target: Target, concurrency: number, h = history) =>
    results.filter((m) => m.target === target && m.concurrency === concurrency && m.history === h);
  const med = (ms: Measured[], f: (m: Measured) => number) => median(ms.map(f));
  const rows = concurrencies.map((c) => {
    const sim = med(of('simulator', c), (m) => m.summary.perSecond);
    const bare = med(of('bare', c), (m) => m.summary.perSecond);
    const svc = med(of('service', c), (m) => m.summary.perSecond);
    return {
      concurrent: c === 1 ? 'sequential' : c,
      'service binds/s': Math.round(svc),
      'bare binds/s': Math.round(bare),
      'service / bare': pct(svc, bare),
      'simulator binds/s': Math.round(sim),
      'service / simulator': pct(svc, sim),
      'service p50 ms': med(of('service', c), (m) => m.summary.p50Ms),
      'bare p50 ms': med(of('bare', c), (m) => m.summary.p50Ms),
      'service p99 ms': med(of('service', c), (m) => m.summary.p99Ms),
      'bare p99 ms': med(of('bare', c), (m) => m.summary.p99Ms),
      'service cpu ms/bind (node + pg)': `${med(of('service', c), (m) => m.cpu.processMs).toFixed(2)} + ${med(
        of('service', c),
        (m) => m.cpu.postgresMs ?? NaN,
      ).toFixed(2)}`,
      'bare cpu ms/bind (node + pg)': `${med(of('bare', c), (m) => m.cpu.processMs).toFixed(2)} + ${med(
        of('bare', c),
        (m) => m.cpu.postgresMs ?? NaN,
      ).toFixed(2)}`,
    };
  });
  printTable(`Medians of ${runs} run(s), history ${history}`, rows);

  // HOT updates of every table the service's phases updated, summed over them.
  const byTable = new Map<string, TableUpdates>();
  for (const m of results.filter((r) => r.target === 'service')) {
    for (const t of m.hot) {
      const sum = byTable.get(t.table) ?? { table: t.table, updates: 0, hot: 0 };
      sum.updates += t.updates;
      sum.hot += t.hot;
      byTable.set(t.table, sum);
    }
  }
  printTable(
    'Tables the service updated during its bind phases: n_tup_hot_upd / n_tup_upd',
    [...byTable.values()].map((t) => ({
      table: t.table,
      updates: t.updates,
      'HOT updates': t.hot,
      'HOT share': hotShare(t),
    })),
  );

  if (settings.histories.length > 1) {
    const base = med(of('service', headline, settings.histories[0]), (m) => m.summary.perSecond);
    printTable(
      `Record size: the service at ${headline} concurrent beside each history, ${runs} run(s), medians`,
      settings.histories.map((h) => {
        const svc = med(of('service', headline, h), (m) => m.summary.perSecond);
        return {
          'ended bindings': h,
          'binds/s': Math.round(svc),
          [`vs ${settings.histories[0]}`]: pct(svc, base),
          'p50 ms': med(of('service', headline, h), (m) => m.summary.p50Ms),
          'p99 ms': med(of('service', headline, h), (m) => m.summary.p99Ms),
        };
      }),
    );
  }
  if (fixed.length > 0) {
    printTable(
      `Service at a fixed offered rate (${settings.fixedShare} % of its own ${headline}-concurrent ` +
        `rate, ${settings.fixedSeconds} s; open loop, latency from each request's due time)`,
      fixed.map(({ run, rate, summary }) => ({
        run,
        'offered/s': rate,
        'answered/s': Math.round(summary.perSecond),
        'not ok': summary.answered - summary.ok + summary.errors,
        'p50 ms': summary.p50Ms,
        'p99 ms': summary.p99Ms,
      })),
    );
  }
  const sim = med(of('simulator', headline), (m) => m.summary.perSecond);
  const bare = med(of('bare', headline), (m) => m.summary.perSecond);
  const svc = med(of('service', headline), (m) => m.summary.perSecond);
  // The ratio of medians, and the median of the per-run ratios (a shared machine's load changes
  // between runs; each run's phases ran back to back).
  const perRun = [...new Set(results.map((r) => r.run))]
    .map((run) => {
      const s = results.find(
        (r) =>
          r.run === run &&
          r.target === 'service' &&
          r.concurrency === headline &&
          r.history === history,
      );
      const b = results.find(
        (r) =>
          r.run === run &&
          r.target === 'bare' &&
          r.concurrency === headline &&
          r.history === history,
      );
      return s && b ? s.summary.perSecond / b.summary.perSecond : NaN;
    })
    .filter((r) => !Number.isNaN(r));
  console.log(`\nAt ${headline} concurrent (medians of ${runs} run(s)):`);
  console.log(
    `service / bare durable bind throughput: ${pct(svc, bare)}` +
      (perRun.length ? ` (median of per-run ratios ${(100 * median(perRun)).toFixed(0)} %)` : ''),
  );
  console.log(
    `service p50 / bare p50: ${pct(
      med(of('service', headline), (m) => m.summary.p50Ms),
      med(of('bare', headline), (m) => m.summary.p50Ms),
    )}`,
  );
  console.log(`service / simulator-direct throughput: ${pct(svc, sim)}`);
}
