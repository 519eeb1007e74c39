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
  const pool = new pg.Pool({ connectionString: url, max: workers + 1 });
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
    const run = { due, bindings: 0, calls: 0, batches: 0, ms: 0, bounded: false };
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
    return run;
  } finally {
    await pool.end();
  }
}
