import { Inject, Injectable } from '@nestjs/common';
import { runWorkers } from '../common/async/run-workers.js';
import { Clock } from '../common/clock/clock.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PhoneAgingRepository } from '../history/phone-aging.repository.js';
import type { JobCounts, ScheduledJob } from './scheduled-job.js';

/** Most batches one pass runs: a pass ends and the next goes on, so shutdown never waits long. */
const MAX_BATCHES = 100;

/**
 * Privacy aging: PHONE_MASK_AFTER_DAYS after a binding ends, its real numbers and its calls'
 * are replaced by the masked form and a keyed hash (PhoneAgingRepository), in batches of
 * PRIVACY_AGING_BATCH_SIZE, each its own short transaction, PRIVACY_AGING_WORKERS at a time:
 * one walks the aging cursor, the others the bindings it passed before they were due (both
 * SKIP LOCKED), and a row is aged once, under its lock. Then the bindings still without a hash
 * get theirs (hashBatch). Without a hash secret it does nothing (PhoneHasher).
 */
@Injectable()
export class PrivacyAgingJob implements ScheduledJob {
  readonly name = 'privacy-aging' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly aging: PhoneAgingRepository,
    private readonly hasher: PhoneHasher,
    private readonly clock: Clock,
  ) {}

  async run(stopping?: AbortSignal): Promise<JobCounts> {
    const counts = { bindings: 0, calls: 0, batches: 0, hashed: 0 };
    if (!this.hasher.available) return counts;
    const { maskAfterDays, agingBatchSize, agingWorkers } = this.config.privacy;
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - maskAfterDays * 86_400_000);
    // Workers take disjoint batches (SKIP LOCKED), each its own transaction on its own connection;
    // the run ends when every one has (runWorkers).
    await runWorkers(agingWorkers, async (failed) => {
      while (counts.batches < MAX_BATCHES && !stopping?.aborted && !failed()) {
        const batch = await this.aging.ageBatch(now, cutoff, agingBatchSize);
        counts.batches++;
        counts.bindings += batch.bindings;
        counts.calls += batch.calls;
        if (!batch.more) break;
      }
    });
    // Bindings made without a hash (before hashes were written with them, or without a secret)
    // get theirs, so that search finds them by the hash index (a no-op once none is left).
    while (counts.batches < MAX_BATCHES && !stopping?.aborted) {
      const hashed = await this.aging.hashBatch(agingBatchSize);
      counts.batches++;
      counts.hashed += hashed;
      if (hashed < agingBatchSize) break;
    }
    return counts;
  }
}
