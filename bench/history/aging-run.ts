import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PhoneHasher } from '../../src/common/privacy/phone-hasher.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { PhoneAgingRepository } from '../../src/history/phone-aging.repository.js';
import type { PrismaService } from '../../src/prisma/prisma.service.js';

/** What one aging run did. */
export interface AgingRun {
  /** Bindings ended more than maskAfterDays ago and not aged, before the run. */
  due: number;
  bindings: number;
  calls: number;
  batches: number;
  ms: number;
  /** Whether it stopped at its time bound with bindings left to age. */
  bounded: boolean;
  /** Updates of the run that were HOT (no index entry written), per table: from pg_stat. */
  hot: { bindings: number; calls: number };
}

/** Updates and HOT updates so far of the record's bindings and call records (every partition). */
async function updateCounts(url: string): Promise<{ bindings: number[]; calls: number[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string; upd: string; hot: string }>(
      `SELECT CASE WHEN relname LIKE 'bindings%' THEN 'bindings' ELSE 'calls' END AS t,
              sum(n_tup_upd) AS upd, sum(n_tup_hot_upd) AS hot
         FROM pg_stat_user_tables
        WHERE relname LIKE 'bindings%' OR relname LIKE 'call_records%' GROUP BY 1`,
    );
    const of = (t: string) => {
      const row = rows.find((r) => r.t === t);
      return [Number(row?.upd ?? 0), Number(row?.hot ?? 0)];
    };
    return { bindings: of('bindings'), calls: of('calls') };
  } finally {
    await client.end();
  }
}

/**
 * Privacy aging as its job runs it (src/scheduler/privacy-aging.job.ts): the product's
 * PhoneAgingRepository, batch after batch of `batchSize` in their own transactions, `workers` at
 * once (PRIVACY_AGING_WORKERS), on a pool of its own (as the service's), until `limit` bindings
 * are aged, none is due, or `maxMs` passed.
 */
export async function runAging(
  url: string,
  config: AppConfig,
  limit: number,
  batchSize: number,
  maxMs: number,
  workers = config.privacy.agingWorkers,
): Promise<AgingRun> {
  const before = await updateCounts(url);
  const pool = new pg.Pool({ connectionString: url, max: workers + 1 });
  let run: Omit<AgingRun, 'hot'>;
  try {
    const aging = new PhoneAgingRepository(
      { pgPool: pool } as unknown as PrismaService,
      new PhoneHasher(config),
    );
    const now = new Date();
    const cutoff = new Date(now.getTime() - config.privacy.maskAfterDays * 86_400_000);
    const due = Number(
      (
        await pool.query(
          `SELECT count(*) AS n FROM bindings WHERE aged_at IS NULL AND ended_at < $1`,
          [cutoff],
        )
      ).rows[0].n,
    );
    run = { due, bindings: 0, calls: 0, batches: 0, ms: 0, bounded: false };
    const started = performance.now();
    // As the job: `workers` loops taking disjoint batches at once, each until it finds no more
    // (one walks the cursor, the others the pending bindings: PhoneAgingRepository).
    const worker = async () => {
      while (run.bindings < limit) {
        if (performance.now() - started > maxMs) {
          run.bounded = true;
          break;
        }
        const batch = await aging.ageBatch(now, cutoff, Math.min(batchSize, limit - run.bindings));
        run.batches += 1;
        run.bindings += batch.bindings;
        run.calls += batch.calls;
        if (!batch.more) break;
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    run.ms = performance.now() - started;
  } finally {
    await pool.end();
  }
  // The aging connections are gone (their statistics flushed when they ended); the binds that
  // ran beside also count, a few hundred updates.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const after = await updateCounts(url);
  const share = (t: 'bindings' | 'calls') => {
    const upd = after[t][0]! - before[t][0]!;
    return upd === 0 ? 0 : (after[t][1]! - before[t][1]!) / upd;
  };
  return { ...run, hot: { bindings: share('bindings'), calls: share('calls') } };
}
