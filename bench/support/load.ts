import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';

/**
 * The one load driver of the benchmarks. Every loop is bounded by a request count and a
 * duration, and talks only to 127.0.0.1. Two ways to drive a task:
 * - closed loop (saturation): `concurrency` workers each start the next call when the last
 *   ends; a call's latency is measured from when its worker was ready to send it;
 * - open loop (fixed offered rate): call n is due at start + n/rate whatever happened to the
 *   earlier ones, and its latency is measured from that due time, so a stalled server shows as
 *   latency instead of as fewer calls (no coordinated omission).
 * Run it on a worker thread (load-worker.ts) so that it does not share the measured service's
 * event loop.
 */

/** What one call reports: whether it succeeded, and optionally its answer body. */
export interface CallOutcome {
  ok: boolean;
  body?: string;
  status?: number;
}

export type Task = (i: number) => Promise<CallOutcome>;

export interface LoadSummary {
  /** Calls answered (any status). */
  answered: number;
  /** Answered with success (2xx for HTTP). */
  ok: number;
  /** Calls that got no answer, and (open loop) calls not sent because too many were in flight. */
  errors: number;
  seconds: number;
  /** Answered calls per second. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** How often each `"source":"…"` value appeared in the answers (routing lookups). */
  sources: Record<string, number>;
  /**
   * The slowest calls, slowest first: when each was due (ms from the load's start) and its
   * latency (ms), to tell a periodic stall (the same offsets run after run) from noise.
   */
  slowest: Array<{ atMs: number; ms: number }>;
}

/** How many of the slowest calls a summary names. */
const SLOWEST = 12;

export interface ClosedLoopOptions {
  connections: number;
  durationMs: number;
  maxRequests: number;
  /** Called once per answered call (load-worker.ts counts them for the progress line). */
  onAnswer?: () => void;
}

export interface FixedRateOptions {
  rate: number;
  durationMs: number;
  connections: number;
  maxInFlight: number;
  /** Called once per answered call. */
  onAnswer?: () => void;
  /**
   * Before the load (and before the worker says it is ready): GET this path on every one of the
   * `connections` at once, so each is open when the first call is due. Without it the first
   * ~60 ms of a run are the client opening its connections, the slowest calls of every route.
   */
  warmPath?: string;
}

/** POSTs of JSON bodies (cycled) to one path of a loopback server; or GETs when `get` is set. */
export interface LoadTarget {
  origin: string;
  path: string;
  bodies: string[];
  get?: boolean;
  /** Sent with every request (the API key). */
  headers?: Record<string, string>;
}

const SOURCE = /"source":"([a-z]+)"/;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

class Recorder {
  constructor(
    private readonly onAnswer?: () => void,
    /** Where due times are counted from (the load's start). */
    private readonly started = performance.now(),
  ) {}

  private readonly latencies: number[] = [];
  private readonly dueAt: number[] = [];
  private ok = 0;
  errors = 0;
  private readonly statuses: Record<string, number> = {};
  private readonly sources: Record<string, number> = {};

  async record(task: Task, i: number, since: number): Promise<void> {
    let outcome: CallOutcome;
    try {
      outcome = await task(i);
    } catch {
      this.errors += 1;
      return;
    }
    this.latencies.push(performance.now() - since);
    this.dueAt.push(since - this.started);
    this.onAnswer?.();
    if (outcome.ok) this.ok += 1;
    if (outcome.status !== undefined) {
      this.statuses[outcome.status] = (this.statuses[outcome.status] ?? 0) + 1;
    }
    const source = outcome.body ? SOURCE.exec(outcome.body)?.[1] : undefined;
    if (source) this.sources[source] = (this.sources[source] ?? 0) + 1;
  }

  summary(seconds: number): LoadSummary {
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      answered: sorted.length,
      ok: this.ok,
      errors: this.errors,
      seconds,
      perSecond: sorted.length / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      statuses: this.statuses,
      sources: this.sources,
      slowest: this.slowest(),
    };
  }

  private slowest(): Array<{ atMs: number; ms: number }> {
    const order = this.latencies
      .map((_, i) => i)
      .sort((a, b) => this.latencies[b]! - this.latencies[a]!);
    return order.slice(0, SLOWEST).map((i) => ({ atMs: this.dueAt[i]!, ms: this.latencies[i]! }));
  }
}

/** Closed loop over `task`. */
export async function closedLoop(task: Task, options: ClosedLoopOptions): Promise<LoadSummary> {
  const started = performance.now();
  const rec = new Recorder(options.onAnswer, started);
  let next = 0;
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (next < options.maxRequests && performance.now() < deadline) {
      const i = next++;
      await rec.record(task, i, performance.now());
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return rec.summary((performance.now() - started) / 1000);
}

/**
 * Open loop over `task`: a scheduler sends what is due every millisecond. At most `maxInFlight`
 * calls are outstanding; a due call beyond that is counted as an error, not queued.
 */
export async function openLoop(task: Task, options: FixedRateOptions): Promise<LoadSummary> {
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const rec = new Recorder(options.onAnswer, started);
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    for (; issued < due; issued += 1) {
      if (inFlight.size >= options.maxInFlight) {
        rec.errors += 1;
        continue;
      }
      const p = rec
        .record(task, issued, started + issued * interval)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await delay(1);
  }
  await Promise.all(inFlight);
  return rec.summary((performance.now() - started) / 1000);
}

/**
 * A task sending `target`'s requests in turn over a keep-alive pool, and how to close it.
 * Requests go through undici's dispatch with a plain handler rather than `pool.request`: that
 * API's answer (a Readable stream per call, read with `body.text()`) promoted ~2.5 MB to the old
 * generation every scavenge at 1,000 calls/s, so each run's generator met a major GC ~4 s in and
 * scavenges of 3–15 ms, all counted as the server's latency from the due times. With the handler,
 * a scavenge promotes nothing and takes ~0.2 ms.
 */
export function httpTask(
  target: LoadTarget,
  connections: number,
): { task: Task; warm: (path: string) => Promise<void>; close: () => Promise<void> } {
  const url = new URL(target.origin);
  if (url.hostname !== '127.0.0.1') throw new Error(`load only against 127.0.0.1, not ${url.host}`);
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...target.headers };
  const options = (i: number): Dispatcher.DispatchOptions =>
    target.get
      ? { method: 'GET', path: target.path, headers: target.headers }
      : {
          method: 'POST',
          path: target.path,
          headers,
          body: target.bodies[i % target.bodies.length],
        };
  const send = (request: Dispatcher.DispatchOptions) =>
    new Promise<CallOutcome>((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      pool.dispatch(request, {
        onRequestStart: () => {},
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
        },
        onResponseData: (_controller, chunk) => {
          chunks.push(chunk);
        },
        onResponseEnd: () => {
          const body =
            chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
          resolve({ ok: status >= 200 && status < 300, status, body });
        },
        onResponseError: (_controller, error) => reject(error),
      });
    });
  return {
    task: (i) => send(options(i)),
    // All dispatched in one tick: each finds every open connection busy, so the pool opens one.
    warm: async (path) => {
      const calls = Array.from({ length: connections }, () =>
        send({ method: 'GET', path, headers: target.headers }),
      );
      const answers = await Promise.all(calls);
      const failed = answers.find((a) => !a.ok);
      if (failed) throw new Error(`warming GET ${path}: ${failed.status}`);
    },
    close: () => pool.close(),
  };
}

/** Saturation of an HTTP target (closed loop, `connections` at once). */
export async function saturate(
  target: LoadTarget,
  options: ClosedLoopOptions,
): Promise<LoadSummary> {
  const http = httpTask(target, options.connections);
  try {
    return await closedLoop(http.task, options);
  } finally {
    await http.close();
  }
}

/**
 * An HTTP target at a fixed offered rate (open loop, latency from the due time); `ready` runs
 * after the connections are warmed (`warmPath`) and before the first call is due.
 */
export async function fixedRate(
  target: LoadTarget,
  options: FixedRateOptions,
  ready?: () => Promise<void>,
): Promise<LoadSummary> {
  const http = httpTask(target, options.connections);
  try {
    if (options.warmPath) await http.warm(options.warmPath);
    await ready?.();
    return await openLoop(http.task, options);
  } finally {
    await http.close();
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
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
