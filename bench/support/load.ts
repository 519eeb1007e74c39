/**
 * A small bounded load driver: runs `total` calls of `task` with `concurrency` workers (closed
 * loop), or at a fixed offered rate (open loop), and summarises latencies. Every loop is bounded
 * by count and by a deadline.
 */
export interface LoadResult {
  calls: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarise(latencies: number[], errors: number, seconds: number): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    calls: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/** Closed loop: `concurrency` workers each run the next call as soon as the last one ends. */
export async function runClosedLoop(
  task: (i: number) => Promise<boolean>,
  options: { total: number; concurrency: number; deadlineMs: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + options.deadlineMs;
  const worker = async () => {
    while (next < options.total && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      const ok = await task(i).catch(() => false);
      latencies.push(performance.now() - t0);
      if (!ok) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return summarise(latencies, errors, (performance.now() - started) / 1000);
}

/** Open loop: starts calls at `rate` per second regardless of how fast they finish. */
export async function runOpenLoop(
  task: (i: number) => Promise<boolean>,
  options: { rate: number; total: number; deadlineMs: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.deadlineMs;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < options.total && performance.now() < deadline; i += 1) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inFlight.push(
      task(i)
        .catch(() => false)
        .then((ok) => {
          latencies.push(performance.now() - t0);
          if (!ok) errors += 1;
        }),
    );
  }
  await Promise.all(inFlight);
  return summarise(latencies, errors, (performance.now() - started) / 1000);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0]!);
  const cell = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h]!).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(headers.map((h) => cell(r[h]!))));
}
