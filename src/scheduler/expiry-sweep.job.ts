import { Inject, Injectable } from '@nestjs/common';
import { runWorkers } from '../common/async/run-workers.js';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { BindingExpiryRepository } from '../bindings/binding-expiry.repository.js';
import { SCHEDULER_ACTOR, type JobCounts, type ScheduledJob } from './scheduled-job.js';

/**
 * Live bindings past their expiry become `expired`, with one event each. The provider ends its
 * side at the same Expiration on its own, so nothing is sent to it.
 *
 * Pending, unknown and unbinding bindings are swept too: once the expiry has passed the provider
 * has ended its side as well, so `expired` is the true final state (the event records the state
 * it left); their pairs are free at once, and reconciliation then checks that nothing of them is
 * left live at the provider (expire_bindings() leaves them due for that). Binds in flight are
 * not touched in practice: a bind's expiry is over a minute ahead and its provider calls time
 * out within seconds.
 */
@Injectable()
export class ExpirySweepJob implements ScheduledJob {
  readonly name = 'expiry' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly expiry: BindingExpiryRepository,
  ) {}

  async run(stopping?: AbortSignal): Promise<JobCounts> {
    const { batchSize, maxBatches, workers } = this.config.scheduler.expiry;
    const byState: JobCounts = { active: 0, pending: 0, unknown: 0, unbinding: 0 };
    let expired = 0;
    let batches = 0;
    // One `now` per run: every binding of the run is judged, and ended, at the same instant.
    const now = this.clock.now();
    // Several statements at once use the database's cores (index upkeep is the cost). Each worker
    // sweeps its own stripe of the due bindings, so none walks past the rows another has locked
    // before it finds its own; separate instances still take disjoint rows through SKIP LOCKED.
    // The run ends when every worker has (runWorkers): a failed batch stops the others from
    // taking more, and the run is reported failed only once none is still sweeping.
    let stripes = 0;
    // Each worker's batches walk its stripe's due pairs forward: a batch starts at the expiry its
    // last one went up to, not at the oldest, past the pairs the earlier batches deleted (their
    // index entries stay until no transaction can see them, which a sweep in progress delays).
    // What it passed over because someone else held it is left to the next run.
    await runWorkers(workers, async (failed) => {
      const stripe = { index: stripes++, count: workers };
      let dueFrom: Date | null = null;
      while (batches < maxBatches && !stopping?.aborted && !failed()) {
        batches += 1;
        const done = await this.expiry.expireDue(now, batchSize, SCHEDULER_ACTOR, stripe, dueFrom);
        dueFrom = done.dueThrough;
        let n = 0;
        for (const [state, count] of Object.entries(done.expired)) {
          byState[state] = (byState[state] ?? 0) + (count ?? 0);
          n += count ?? 0;
        }
        expired += n;
        // An empty batch: nothing due is left in its stripe, or what is left is being swept or
        // changed by someone else. (A short one is not the end: a batch takes its due pairs
        // first and then skips the bindings someone else holds, so it can fall short by those
        // while more is due behind them.)
        if (n === 0) return;
      }
    });
    return { expired, batches, ...byState };
  }
}
