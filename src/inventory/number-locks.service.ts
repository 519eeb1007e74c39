import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { ProviderError } from '../provider/errors/index.js';
import { providerFailure } from '../provider/provider-failure.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { InventoryService } from './inventory.service.js';
import { NumberLocksRepository, type NumberLock } from './number-locks.repository.js';

/**
 * LockSecretNo / UnlockSecretNo for a leaked or abused X. A locked X takes no new binding (here:
 * claim_x() skips it; at the provider: it is refused as PhoneNoX and never chosen) and routes no
 * call here: every lookup of a live binding on it is refused (403 X_LOCKED). Alibaba documents a
 * lock as "not used for new bindings" only, so the provider keeps connecting the live bindings'
 * own parties if they dial X directly; routing, which is how the apps learn what to dial, refuses
 * them (see README, Number safety). Unbind those bindings to end them at the provider too.
 *
 * Locking marks the number here first, so no bind claims it while the provider is asked; a
 * provider failure takes the mark back (nothing changed). Unlocking asks the provider first, so
 * nothing is bound on a number the provider still refuses.
 */
@Injectable()
export class NumberLocksService {
  private readonly logger = new Logger(NumberLocksService.name);

  constructor(
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly inventory: InventoryService,
    private readonly locks: NumberLocksRepository,
  ) {}

  async lock(poolKey: string, number: string, context: RequestContext): Promise<NumberLock> {
    await this.inventory.requirePool(poolKey);
    const marked = await this.locks.lock(poolKey, number, context.actor, this.clock.now());
    if (!marked) throw new NotFoundError('Number', { poolKey, number });
    try {
      await this.provider.lockSecretNo(
        { poolKey, phoneX: number },
        { requestId: context.requestId },
      );
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (!marked.wasLocked) await this.locks.unlock(poolKey, number, this.clock.now());
      throw providerFailure(error, { poolKey, number });
    }
    // Middle numbers belong to the pool, not to a subscriber: logged in full, as releases are.
    this.logger.log(
      `Locked ${number} of pool ${poolKey} (${marked.liveBindings} live binding(s) on it) for ${context.actor}`,
    );
    const { wasLocked: _was, ...lock } = marked;
    void _was;
    return lock;
  }

  async unlock(poolKey: string, number: string, context: RequestContext): Promise<NumberLock> {
    await this.inventory.requirePool(poolKey);
    const held = await this.locks.find(poolKey, number, this.clock.now());
    if (!held) throw new NotFoundError('Number', { poolKey, number });
    try {
      await this.provider.unlockSecretNo(
        { poolKey, phoneX: number },
        { requestId: context.requestId },
      );
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw providerFailure(error, { poolKey, number });
    }
    const unlocked = await this.locks.unlock(poolKey, number, this.clock.now());
    this.logger.log(`Unlocked ${number} of pool ${poolKey} for ${context.actor}`);
    return unlocked ?? held;
  }
}
