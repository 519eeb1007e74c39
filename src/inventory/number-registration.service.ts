import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { providerFailure } from '../provider/provider-failure.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { InventoryService } from './inventory.service.js';
import { NumbersRepository, specOf } from './numbers.repository.js';

export interface RegisterResult {
  requested: number;
  /** Now held by the pool here. */
  registered: string[];
  /** Held by this pool here already. */
  alreadyHeld: string[];
  /** Not registered, each with why. */
  refused: Array<{ number: string; code: string; providerCode: string | null; message: string }>;
  /** Why registration stopped early (the provider could not be asked), when it did. */
  failure: { code: string; providerCode: string | null; message: string } | null;
}

/**
 * Brings numbers the account already holds at the provider (bought in Alibaba's console, or
 * before this service managed the pool) into the pool's inventory, so that binds can use them:
 * X is always chosen here. Each number is checked first with QuerySecretNoDetail (PoolKey,
 * SecretNo), the provider's one read of a single number of a pool: a number the pool does not
 * hold there is refused, and the city the provider reports is the one recorded.
 */
@Injectable()
export class NumberRegistrationService {
  private readonly logger = new Logger(NumberRegistrationService.name);

  constructor(
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly inventory: InventoryService,
    private readonly numbers: NumbersRepository,
  ) {}

  async register(poolKey: string, numbers: string[], requestId?: string): Promise<RegisterResult> {
    await this.inventory.requirePool(poolKey);
    const result: RegisterResult = {
      requested: numbers.length,
      registered: [],
      alreadyHeld: [],
      refused: [],
      failure: null,
    };
    for (const number of numbers) {
      let city: string;
      try {
        ({ city } = await this.provider.querySecretNoDetail(
          { poolKey, phoneX: number },
          { requestId },
        ));
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const providerCode = error instanceof ProviderCodeError ? error.code : null;
        if (error instanceof ProviderCodeError && error.kind === 'not-found') {
          result.refused.push({
            number,
            code: 'NOT_HELD_AT_PROVIDER',
            providerCode,
            message: `The provider does not list ${number} in pool ${poolKey}`,
          });
          continue;
        }
        // The provider cannot be asked now (down, throttled, action refused): stop, say so.
        const mapped = providerFailure(error, { poolKey });
        const done = result.registered.length + result.alreadyHeld.length + result.refused.length;
        if (done === 0) throw mapped;
        result.failure = { code: mapped.code, providerCode, message: mapped.message };
        break;
      }
      const stored = await this.numbers.insertRegistered(
        poolKey,
        number,
        specOf(number),
        city,
        this.clock.now(),
      );
      if (stored.registered) {
        // Middle numbers belong to the pool, not to a subscriber: logged in full, as purchases are.
        this.logger.log(`Registered ${number} (${city}) in pool ${poolKey}`);
        result.registered.push(number);
      } else if (stored.heldBy === poolKey) {
        result.alreadyHeld.push(number);
      } else {
        result.refused.push({
          number,
          code: 'HELD_BY_OTHER_POOL',
          providerCode: null,
          message: `${number} is held here by ${stored.heldBy ? `pool ${stored.heldBy}` : 'another pool'}`,
        });
      }
    }
    return result;
  }
}
