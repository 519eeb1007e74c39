import type { Binding } from '../generated/prisma/client.js';
import { ProviderCodeError } from '../provider/errors/index.js';
import type {
  ProviderCallOptions,
  ProviderPort,
  SubscriptionDetail,
} from '../provider/provider.port.js';

/** What ending a binding's provider side found and did. */
export interface ProviderSideEnded {
  /** The provider's SubsId of it, when one is known now. */
  subsId: string | null;
  /** True when something was live there and this call unbound it. */
  unboundNow: boolean;
}

/**
 * Reconciliation's view of one binding at the provider: what it holds of it (by SubsId, or found
 * on X without one), and making sure nothing of it stays live. Provider errors propagate: the
 * caller defers the binding and asks again later.
 */
export class ProviderSide {
  constructor(private readonly provider: ProviderPort) {}

  /**
   * The provider's live binding of this binding's A and B on its X, or null when X holds none.
   * QuerySubsId lists the live SubsIds on X; the detail of each names its parties. No other live
   * binding of ours holds A or B on X (unique indexes), so a match is this one.
   */
  async findOnX(
    binding: Binding,
    options: ProviderCallOptions,
  ): Promise<SubscriptionDetail | null> {
    const ref = { poolKey: binding.poolKey, phoneX: binding.phoneX! };
    for (const subsId of await this.provider.querySubsIds(ref, options)) {
      const detail = await this.detail(binding, subsId, options);
      if (detail && detail.phoneA === binding.phoneA && detail.phoneB === binding.phoneB) {
        return detail;
      }
    }
    return null;
  }

  /**
   * Ends whatever the provider still holds live of the binding: asked by SubsId when it has one
   * (gone, expired, or live and then unbound), else found on X and unbound if there.
   */
  async end(binding: Binding, options: ProviderCallOptions): Promise<ProviderSideEnded> {
    const live = binding.subsId
      ? await this.detail(binding, binding.subsId, options)
      : await this.findOnX(binding, options);
    if (!live || !live.active) return { subsId: live?.subsId ?? binding.subsId, unboundNow: false };
    try {
      await this.provider.unbindSubscription(
        { poolKey: binding.poolKey, subsId: live.subsId, phoneX: live.phoneX },
        options,
      );
      return { subsId: live.subsId, unboundNow: true };
    } catch (error) {
      // Gone meanwhile (expired at the provider, or unbound by another attempt): ended all the same.
      if (error instanceof ProviderCodeError && error.kind === 'not-found') {
        return { subsId: live.subsId, unboundNow: false };
      }
      throw error;
    }
  }

  /** QuerySubscriptionDetail; null when the provider does not know the SubsId. */
  private async detail(
    binding: Binding,
    subsId: string,
    options: ProviderCallOptions,
  ): Promise<SubscriptionDetail | null> {
    try {
      return await this.provider.querySubscriptionDetail(
        { poolKey: binding.poolKey, subsId, phoneX: binding.phoneX! },
        options,
      );
    } catch (error) {
      if (error instanceof ProviderCodeError && error.kind === 'not-found') return null;
      throw error;
    }
  }
}
