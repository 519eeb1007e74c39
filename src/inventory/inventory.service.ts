import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock/clock.js';
import { ConflictError, NotFoundError } from '../common/errors/domain-error.js';
import { providerFailure } from '../provider/provider-failure.js';
import type { Pool } from '../generated/prisma/client.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort, type SecretNoSpec } from '../provider/provider.port.js';
import { NumbersRepository, type NumberWithLoad, type StockRow } from './numbers.repository.js';
import { PoolsRepository } from './pools.repository.js';

export interface BuyResult {
  requested: number;
  bought: string[];
  /** Why buying stopped early, when it did. */
  failure: { code: string; providerCode: string | null; message: string } | null;
}

export interface StockView {
  poolKey: string;
  byCityAndSpec: StockRow[];
  totals: {
    numbers: number;
    healthy: number;
    locked: number;
    livePairs: number;
    freePairs: number;
  };
  /** The provider's remaining stock per (spec, city) held here; null where it did not answer. */
  providerRemaining: Array<{ spec: number; city: string; amount: number | null; error?: string }>;
}

/** The pools' numbers: buying, releasing, listing, and stock. */
@Injectable()
export class InventoryService implements OnModuleInit {
  private readonly logger = new Logger(InventoryService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly pools: PoolsRepository,
    private readonly numbers: NumbersRepository,
  ) {}

  /** The configured default pool exists from the first start. */
  async onModuleInit(): Promise<void> {
    await this.pools.upsert(this.config.pools.defaultPoolKey);
  }

  listPools(): Promise<Pool[]> {
    return this.pools.list();
  }

  registerPool(poolKey: string, cityStrict?: boolean): Promise<Pool> {
    return this.pools.upsert(poolKey, cityStrict);
  }

  async requirePool(poolKey: string): Promise<Pool> {
    const pool = await this.pools.find(poolKey);
    if (!pool) throw new NotFoundError('Pool', { poolKey });
    return pool;
  }

  /** One BuySecretNo per number; stops at the first failure and reports what was bought. */
  async buy(
    poolKey: string,
    spec: SecretNoSpec,
    city: string,
    count: number,
    prefix: string | undefined,
    requestId?: string,
  ): Promise<BuyResult> {
    await this.requirePool(poolKey);
    const { bought, error } = await this.buyNumbers(
      { poolKey, spec, city, prefix },
      count,
      requestId,
    );
    if (!error) return { requested: count, bought, failure: null };
    const mapped = providerFailure(error, { poolKey });
    // Nothing bought at all: the caller gets the provider failure as an error status.
    if (bought.length === 0) throw mapped;
    return {
      requested: count,
      bought,
      failure: {
        code: mapped.code,
        providerCode: error instanceof ProviderCodeError ? error.code : null,
        message: mapped.message,
      },
    };
  }

  /**
   * Buys up to `count` numbers, recording each as held the moment it is bought; stops at the first
   * provider failure and returns it with what was bought. The API and pool replenishment share it.
   */
  async buyNumbers(
    want: { poolKey: string; spec: SecretNoSpec; city: string; prefix?: string },
    count: number,
    requestId?: string,
  ): Promise<{ bought: string[]; error?: ProviderError }> {
    const { poolKey, spec, city } = want;
    const bought: string[] = [];
    for (let i = 0; i < count; i += 1) {
      let phoneX: string;
      try {
        ({ phoneX } = await this.provider.buySecretNo(want, { requestId }));
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        this.logger.warn(
          `Buying for pool ${poolKey} (${city}, spec ${spec}) stopped after ${bought.length}/${count}: ${error.message}`,
        );
        return { bought, error };
      }
      try {
        await this.numbers.insertBought(poolKey, phoneX, spec, city, this.clock.now());
      } catch (error) {
        // Bought but not recorded: say which number, so it can be registered by hand.
        this.logger.error(
          `Bought ${phoneX} for ${poolKey} (${city}, spec ${spec}) but could not record it: ${(error as Error).message}`,
        );
        throw error;
      }
      // Middle numbers belong to the pool, not to a subscriber: logged in full, as releases are.
      this.logger.log(`Bought ${phoneX} for pool ${poolKey} (${city}, spec ${spec})`);
      bought.push(phoneX);
    }
    return { bought };
  }

  /** Releases a number no live binding uses: withdrawn here first, so no bind can take it meanwhile. */
  async release(poolKey: string, number: string, requestId?: string): Promise<void> {
    await this.requirePool(poolKey);
    const live = await this.numbers.withdraw(poolKey, number, this.clock.now());
    if (live === null) throw new NotFoundError('Number', { poolKey, number });
    if (live > 0) {
      throw new ConflictError('NUMBER_IN_USE', `The number carries ${live} live binding(s)`, {
        liveBindings: live,
      });
    }
    try {
      await this.provider.releaseSecretNo({ poolKey, phoneX: number }, { requestId });
    } catch (error) {
      const gone = error instanceof ProviderCodeError && error.kind === 'not-found';
      if (gone) return;
      await this.numbers.restore(poolKey, number);
      if (error instanceof ProviderError) throw providerFailure(error, { poolKey, number });
      throw error;
    }
    this.logger.log(`Released ${number} from pool ${poolKey}`);
  }

  async list(poolKey: string): Promise<NumberWithLoad[]> {
    await this.requirePool(poolKey);
    return this.numbers.list(poolKey, this.clock.now());
  }

  async stock(poolKey: string, requestId?: string): Promise<StockView> {
    await this.requirePool(poolKey);
    const rows = await this.numbers.adminStock(
      poolKey,
      this.config.pools.maxPairsPerX,
      this.clock.now(),
    );
    const totals = { numbers: 0, healthy: 0, locked: 0, livePairs: 0, freePairs: 0 };
    for (const r of rows) {
      totals.numbers += r.numbers;
      totals.healthy += r.healthy;
      totals.locked += r.locked;
      totals.livePairs += r.livePairs;
      totals.freePairs += r.freePairs;
    }
    const providerRemaining = await Promise.all(
      rows.map(async ({ spec, city }) => {
        try {
          const remain = await this.provider.querySecretNoRemain(
            { spec: spec as SecretNoSpec, city },
            { requestId },
          );
          return { spec, city, amount: remain.amount };
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          return { spec, city, amount: null, error: providerFailure(error).code };
        }
      }),
    );
    return { poolKey, byCityAndSpec: rows, totals, providerRemaining };
  }
}
