import { cpus, loadavg } from 'node:os';
import { median, printTable, type LoadSummary } from '../support/load.js';

/** One phase of the bind benchmark: a target at a concurrency, in one run. */
export interface Measured {
  run: number;
  target: 'simulator' | 'service';
  concurrency: number;
  summary: LoadSummary;
  /** Event-loop utilisation of the service's thread during the phase (1 = always busy). */
  elu: number;
  /** CPU ms per bind: this process (all threads), and the Postgres backends (null: unknown). */
  cpu: { processMs: number; postgresMs: number | null };
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
  fixedShare: number;
  fixedSeconds: number;
}

/**
 * The bind benchmark's tables: every phase, the medians per concurrency, the fixed-rate phases,
 * and the line `service / simulator-direct throughput (medians): N%` at the headline concurrency.
 */
export function report(results: Measured[], fixed: FixedRun[], settings: ReportSettings): void {
  const { binds, sequentialBinds, numbers, runs, concurrencies, headline } = settings;
  const { fixedShare, fixedSeconds } = settings;
  printTable(
    `Binds, every run (${binds} per phase, ${sequentialBinds} sequential; ${numbers} numbers; ` +
      `${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    results.map((m) => ({
      run: m.run,
      target: m.target === 'service' ? 'service POST /v1/bindings' : 'simulator BindAxb direct',
      concurrent: m.concurrency,
      ok: m.summary.ok,
      'not ok': m.summary.answered - m.summary.ok + m.summary.errors,
      'binds/s': Math.round(m.summary.perSecond),
      'p50 ms': m.summary.p50Ms,
      'p99 ms': m.summary.p99Ms,
      'service loop busy': `${(m.elu * 100).toFixed(0)} %`,
      'cpu ms/bind node': m.cpu.processMs,
      'cpu ms/bind pg': m.cpu.postgresMs ?? '-',
    })),
  );
  const of = (target: Measured['target'], concurrency: number) =>
    results.filter((m) => m.target === target && m.concurrency === concurrency);
  const rows = concurrencies.map((c) => {
    const sim = median(of('simulator', c).map((m) => m.summary.perSecond));
    const svc = median(of('service', c).map((m) => m.summary.perSecond));
    return {
      concurrent: c === 1 ? 'sequential' : c,
      'simulator binds/s': Math.round(sim),
      'service binds/s': Math.round(svc),
      'service / simulator': `${((100 * svc) / sim).toFixed(0)} %`,
      'service p50 ms': median(of('service', c).map((m) => m.summary.p50Ms)),
      'service p99 ms': median(of('service', c).map((m) => m.summary.p99Ms)),
      'simulator p50 ms': median(of('simulator', c).map((m) => m.summary.p50Ms)),
      'service cpu ms/bind (node + pg)': `${median(of('service', c).map((m) => m.cpu.processMs)).toFixed(2)} + ${median(
        of('service', c).map((m) => m.cpu.postgresMs ?? NaN),
      ).toFixed(2)}`,
      'simulator cpu ms/bind': median(of('simulator', c).map((m) => m.cpu.processMs)),
    };
  });
  printTable(`Medians of ${runs} run(s)`, rows);
  if (fixed.length > 0) {
    printTable(
      `Service at a fixed offered rate (${fixedShare} % of its own ${headline}-concurrent rate, ` +
        `${fixedSeconds} s; open loop, latency from each request's due time)`,
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
  const sim = median(of('simulator', headline).map((m) => m.summary.perSecond));
  const svc = median(of('service', headline).map((m) => m.summary.perSecond));
  console.log(`\nAt ${headline} concurrent:`);
  console.log(
    `service / simulator-direct throughput (medians): ${((100 * svc) / sim).toFixed(0)}%`,
  );
}
