import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InventoryService } from '../inventory/inventory.service.js';
import { NumbersRepository } from '../inventory/numbers.repository.js';
import { PoolsRepository } from '../inventory/pools.repository.js';
import { numbersToBuy } from './replenish-plan.js';
import type { JobCounts, ScheduledJob } from './scheduled-job.js';
import { SchedulerLockRepository } from './scheduler-lock.repository.js';

type Target = AppConfig['scheduler']['replenish']['targets'][number];

/**
 * Keeps watched pools stocked: when the free pair capacity of a (pool, city, spec) is under the
 * watermark, buys numbers (BuySecretNo) up to the target, at most `maxPerRun` numbers per run.
 * Each purchase is recorded at once as a held number and logged. One instance at a time runs it
 * (advisory lock), and it reads the stock under that lock, so instances never buy twice for the
 * same shortfall.
 */
@Injectable()
export class ReplenishmentJob implements ScheduledJob {
  readonly name = 'replenish' as const;
  private readonly logger = new Logger(ReplenishmentJob.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly pools: PoolsRepository,
    private readonly numbers: NumbersRepository,
    private readonly inventory: InventoryService,
    private readonly lock: SchedulerLockRepository,
  ) {}

  async run(): Promise<JobCounts> {
    const { targets, maxPerRun } = this.config.scheduler.replenish;
    const counts: JobCounts = { targets: targets.length, low: 0, bought: 0, failed: 0, busy: 0 };
    if (targets.length === 0) return counts;
    // Allow every purchase of the run its provider timeout, plus the database work.
    const timeoutMs = maxPerRun * (this.config.provider.timeoutMs + 1_000) + 10_000;
    const done = await this.lock.withExclusive('axb-router:replenish', timeoutMs, async () => {
      let budget = maxPerRun;
      for (const target of targets) {
        const result = await this.replenish(target, budget);
        if (result.wanted > 0) counts.low += 1;
        counts.bought += result.bought;
        if (result.failed) counts.failed += 1;
        budget -= result.bought;
      }
      return true;
    });
    if (done === null) counts.busy = 1;
    return counts;
  }

  private async replenish(
    target: Target,
    budget: number,
  ): Promise<{ wanted: number; bought: number; failed: boolean }> {
    const { poolKey, city, spec } = target;
    if (!(await this.pools.find(poolKey))) {
      this.logger.warn(`Replenishment target ${poolKey}:${city}:${spec}: no such pool here`);
      return { wanted: 0, bought: 0, failed: true };
    }
    const { watermarkPairs, targetPairs } = this.config.scheduler.replenish;
    const pairsPerNumber = this.config.pools.maxPairsPerX;
    const stock = await this.numbers.stock(poolKey, pairsPerNumber, this.clock.now());
    const freePairs = stock.find((r) => r.city === city && r.spec === spec)?.freePairs ?? 0;
    const wanted = numbersToBuy({ freePairs, watermarkPairs, targetPairs, pairsPerNumber, budget });
    if (wanted === 0) return { wanted, bought: 0, failed: false };
    const { bought, error } = await this.inventory.buyNumbers({ poolKey, spec, city }, wanted);
    this.logger.log(
      `Replenishment of ${poolKey} (${city}, spec ${spec}): bought ${bought.length}/${wanted}; free pairs were ${freePairs}`,
    );
    return { wanted, bought: bought.length, failed: error !== undefined };
  }
}
