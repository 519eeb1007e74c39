import type { Histogram } from 'prom-client';
import type { MetricsService } from '../../src/metrics/metrics.service.js';

/** A histogram's running totals: how many observations, and their sum. */
async function totals(h: Histogram): Promise<{ count: number; sum: number }> {
  const { values } = await h.get();
  const of = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  return { count: of('_count'), sum: of('_sum') };
}

/** The bind rounds counted so far (axb_bind_round_*, MetricsService.observeBindRound). */
export interface BindRounds {
  rounds: number;
  /** Placements and settles written by them. */
  items: number;
  /** Waits observed (one an item) and their sum, seconds. */
  waits: number;
  waitSeconds: number;
  /** Durations observed (one a round) and their sum, seconds. */
  durations: number;
  durationSeconds: number;
}

export async function readBindRounds(metrics: MetricsService): Promise<BindRounds> {
  const [items, wait, duration] = await Promise.all([
    totals(metrics.bindRoundItems),
    totals(metrics.bindRoundWait),
    totals(metrics.bindRoundDuration),
  ]);
  return {
    rounds: items.count,
    items: items.sum,
    waits: wait.count,
    waitSeconds: wait.sum,
    durations: duration.count,
    durationSeconds: duration.sum,
  };
}

/** What happened between two readings, as a line: rounds, items a round, mean round and wait. */
export function describeRounds(a: BindRounds, b: BindRounds): string {
  const rounds = b.rounds - a.rounds;
  if (rounds === 0) return 'no bind rounds';
  const ms = (s: number, n: number) => ((s * 1000) / Math.max(1, n)).toFixed(2);
  return (
    `${rounds} bind rounds of ${((b.items - a.items) / rounds).toFixed(1)} items, ` +
    `${ms(b.durationSeconds - a.durationSeconds, b.durations - a.durations)} ms each, ` +
    `an item waited ${ms(b.waitSeconds - a.waitSeconds, b.waits - a.waits)} ms for its round`
  );
}
