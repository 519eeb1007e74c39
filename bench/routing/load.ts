import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';

/** POSTs of JSON bodies (cycled) to one path of a loopback server; or GETs when `get` is set. */
export interface LoadTarget {
  origin: string;
  path: string;
  bodies: string[];
  get?: boolean;
  /** Sent with every request (the API key). */
  headers?: Record<string, string>;
}

export interface LoadSummary {
  /** Requests answered (any status). */
  answered: number;
  /** Answered with 2xx. */
  ok: number;
  /** Connection errors, and (fixed rate) requests not sent because too many were in flight. */
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** How often each `"source":"…"` value appeared in the answers (routing lookups). */
  sources: Record<string, number>;
}

const SOURCE = /"source":"([a-z]+)"/;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

class Recorder {
  latencies: number[] = [];
  ok = 0;
  errors = 0;
  sources: Record<string, number> = {};

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
      sources: this.sources,
    };
  }
}

function openPool(target: LoadTarget, connections: number): Pool {
  const url = new URL(target.origin);
  if (url.hostname !== '127.0.0.1') throw new Error(`load only against 127.0.0.1, not ${url.host}`);
  return new Pool(url.origin, { connections, pipelining: 1 });
}

/** One request; latency counted from `since` (the intended send time at a fixed rate). */
async function send(pool: Pool, target: LoadTarget, i: number, since: number, rec: Recorder) {
  try {
    const res = await pool.request(
      target.get
        ? { method: 'GET', path: target.path, headers: target.headers }
        : {
            method: 'POST',
            path: target.path,
            headers: { 'content-type': 'application/json', ...target.headers },
            body: target.bodies[i % target.bodies.length],
          },
    );
    const text = await res.body.text();
    rec.latencies.push(performance.now() - since);
    if (res.statusCode >= 200 && res.statusCode < 300) rec.ok += 1;
    const source = SOURCE.exec(text)?.[1];
    if (source) rec.sources[source] = (rec.sources[source] ?? 0) + 1;
  } catch {
    rec.errors += 1;
  }
}

/**
 * Saturation (closed loop): `connections` workers each send the next request as soon as the last
 * is answered, until the duration or the request cap is reached.
 */
export async function saturate(
  target: LoadTarget,
  options: { connections: number; durationMs: number; maxRequests: number },
): Promise<LoadSummary> {
  const pool = openPool(target, options.connections);
  const rec = new Recorder();
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (next < options.maxRequests && performance.now() < deadline) {
      const i = next++;
      await send(pool, target, i, performance.now(), rec);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return rec.summary(seconds);
}

/**
 * Fixed offered rate (open loop): request n is due at start + n/rate, whatever happened to the
 * earlier ones; a scheduler loop sends what is due every millisecond. Latency is measured from the
 * due time, so a stalled server is not hidden (no coordinated omission). At most `maxInFlight`
 * requests are outstanding; a due request beyond that is counted as an error, not queued.
 */
export async function fixedRate(
  target: LoadTarget,
  options: { rate: number; durationMs: number; connections: number; maxInFlight: number },
): Promise<LoadSummary> {
  const pool = openPool(target, options.connections);
  const rec = new Recorder();
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    for (; issued < due; issued += 1) {
      if (inFlight.size >= options.maxInFlight) {
        rec.errors += 1;
        continue;
      }
      const p = send(pool, target, issued, started + issued * interval, rec).finally(() =>
        inFlight.delete(p),
      );
      inFlight.add(p);
    }
    await delay(1);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return rec.summary(seconds);
}
