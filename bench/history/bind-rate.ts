import pg from 'pg';
import { BENCH_AUTH } from '../support/bench-key.js';
import type { LoadSummary } from '../support/load.js';
import { runLoad } from '../support/run-load.js';

/** A service on one database, for the bind phases (bench-setup.ts's startServiceThread). */
export interface BindTarget {
  name: string;
  databaseUrl: string;
  serviceUrl: string;
}

/**
 * Binds at saturation through POST /v1/bindings, on a fresh pool: the previous phase's bindings
 * and numbers go, the simulator forgets its numbers, `numbers` are
 * bought again. The record's past is left as it is: that is what is compared.
 */
export class BindRate {
  /**
   * Phases' orders are `hb-<tag>-<i>`: the tag starts where a run on the same database (a
   * HISTORY_DATABASE_URL reused) is unlikely to have been, or its binds would be replays (200).
   */
  private tag = 100 * Math.floor(Math.random() * 9);
  /** The orders each database was given by its last phase (deleted before its next). */
  private readonly made = new Map<string, string[]>();

  constructor(
    private readonly poolKey: string,
    private readonly simulatorControlUrl: string,
    private readonly numbers: number,
  ) {}

  async measure(
    target: BindTarget,
    binds: number,
    concurrency: number,
    deadlineMs: number,
  ): Promise<LoadSummary> {
    const bodies = await this.phase(target, binds);
    return runLoad({
      kind: 'saturate',
      target: { origin: target.serviceUrl, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
      options: { connections: concurrency, durationMs: deadlineMs, maxRequests: binds },
    });
  }

  /**
   * Binds at a fixed offered rate for `seconds` (latency from each bind's due time), with
   * `during` started `afterMs` into the load: what the binds saw while it ran, and its result.
   */
  async during<T>(
    target: BindTarget,
    rate: number,
    seconds: number,
    afterMs: number,
    during: () => Promise<T>,
  ): Promise<{ binds: LoadSummary; result: T }> {
    const bodies = await this.phase(target, rate * seconds);
    let started: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const load = runLoad(
      {
        kind: 'fixed',
        target: { origin: target.serviceUrl, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
        options: { rate, durationMs: seconds * 1000, connections: 32, maxInFlight: 1_000 },
      },
      () => started(),
    );
    await ready;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const result = await during();
    return { binds: await load, result };
  }

  /** A fresh pool, and the bodies of `binds` new orders (remembered for the next cleanup). */
  private async phase(target: BindTarget, binds: number): Promise<string[]> {
    await this.freshPool(target);
    const tag = (this.tag += 1);
    this.made.set(
      target.databaseUrl,
      Array.from({ length: binds }, (_, i) => `hb-${tag}-${i}`),
    );
    const phone = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;
    return Array.from({ length: binds }, (_, i) =>
      JSON.stringify({
        outId: `hb-${tag}-${i}`,
        phoneA: phone('137', tag * 100_000 + i),
        phoneB: phone('139', tag * 100_000 + i),
        ttlSeconds: 3600,
      }),
    );
  }

  private async freshPool(target: BindTarget): Promise<void> {
    const reset = await fetch(`${this.simulatorControlUrl}/reset`, { method: 'POST' });
    if (!reset.ok) throw new Error(`simulator reset: ${reset.status}`);
    const sql = new pg.Client({ connectionString: target.databaseUrl });
    await sql.connect();
    try {
      // By order, through the index: a pattern would scan the whole record (and its events).
      await sql.query(`DELETE FROM bindings WHERE pool_key = $1 AND out_id = ANY($2::text[])`, [
        this.poolKey,
        this.made.get(target.databaseUrl) ?? [],
      ]);
      await sql.query('DELETE FROM secret_numbers');
      await sql.query('DELETE FROM x_load_hints');
      for (const table of ['live_pairs', 'reconcile_queue', 'secret_numbers', 'x_load_hints']) {
        await sql.query(`VACUUM ANALYZE ${table}`);
      }
    } finally {
      await sql.end();
    }
    const res = await fetch(`${target.serviceUrl}/v1/pools/${this.poolKey}/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...BENCH_AUTH },
      body: JSON.stringify({ spec: 2, city: '杭州', count: this.numbers }),
    });
    const body = (await res.json()) as { bought?: string[] };
    if (body.bought?.length !== this.numbers) throw new Error(`buying: ${JSON.stringify(body)}`);
  }
}
