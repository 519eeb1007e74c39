import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import type { Binding, Prisma } from '../generated/prisma/client.js';
import { ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort, type SubscriptionUpdate } from '../provider/provider.port.js';
import { inverseOf, recordOf, recordOfDetail } from './subscription-changes.js';

/** How a set of UpdateSubscription calls ended at the provider. */
export type UpdateOutcome =
  /** Every update was confirmed. */
  | { kind: 'applied' }
  /**
   * An update failed, and every update that may have taken effect was undone (the old values set
   * again): the provider holds what the binding held before.
   */
  | { kind: 'undone'; failed: SubscriptionUpdate; error: ProviderError }
  /**
   * An update failed and undoing did not fully work: `data` is what the provider holds as far as
   * it could be learnt (QuerySubscriptionDetail, else the updates confirmed and not undone);
   * `unconfirmed` names what stays uncertain.
   */
  | {
      kind: 'reconciled';
      failed: SubscriptionUpdate;
      error: ProviderError;
      data: Prisma.BindingUncheckedUpdateInput;
      unconfirmed: string[];
    };

/**
 * Applies a change of a live binding at the provider as one unit: UpdateSubscription per
 * OperateType, in order. When one fails, the ones before it (and the failed one, whose outcome
 * may be unknown) are undone by setting their old values again — each OperateType sets a value,
 * so setting the old one restores it whether or not the failed call took effect. When undoing
 * fails too, what the provider holds is read back (QuerySubscriptionDetail), so the record is
 * made to agree with the provider instead of holding half of a change it never learnt about.
 */
@Injectable()
export class SubscriptionUpdater {
  private readonly logger = new Logger(SubscriptionUpdater.name);

  constructor(@Inject(PROVIDER) private readonly provider: ProviderPort) {}

  async apply(
    binding: Binding,
    updates: readonly SubscriptionUpdate[],
    context: RequestContext,
  ): Promise<UpdateOutcome> {
    const done: SubscriptionUpdate[] = [];
    for (const update of updates) {
      try {
        await this.send(binding, update, context);
        done.push(update);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        return this.undo(binding, done, update, error, context);
      }
    }
    return { kind: 'applied' };
  }

  private async undo(
    binding: Binding,
    done: SubscriptionUpdate[],
    failed: SubscriptionUpdate,
    error: ProviderError,
    context: RequestContext,
  ): Promise<UpdateOutcome> {
    // The failed update is undone too when it may have taken effect.
    const toUndo = error.outcome === 'unknown' ? [...done, failed] : done;
    const standing: SubscriptionUpdate[] = [];
    const uncertain: SubscriptionUpdate[] = [];
    for (const update of [...toUndo].reverse()) {
      const inverse = inverseOf(binding, update);
      let undone: 'yes' | 'no' | 'unknown' = 'no';
      if (inverse) {
        try {
          await this.send(binding, inverse, context);
          undone = 'yes';
        } catch (undoError) {
          if (!(undoError instanceof ProviderError)) throw undoError;
          undone = undoError.outcome === 'unknown' ? 'unknown' : 'no';
          this.logger.warn(
            `Binding ${binding.id}: ${update.kind} could not be undone after ${failed.kind} ` +
              `failed: ${undoError.message}`,
          );
        }
      }
      if (undone === 'yes') continue;
      // Confirmed and certainly not undone: it stands. Anything else is uncertain.
      if (update !== failed && undone === 'no') standing.push(update);
      else uncertain.push(update);
    }
    if (standing.length === 0 && uncertain.length === 0) return { kind: 'undone', failed, error };
    return this.reconcile(binding, failed, error, standing, uncertain, context);
  }

  /** Reads back what the provider holds; without an answer, records what certainly stands. */
  private async reconcile(
    binding: Binding,
    failed: SubscriptionUpdate,
    error: ProviderError,
    standing: SubscriptionUpdate[],
    uncertain: SubscriptionUpdate[],
    context: RequestContext,
  ): Promise<UpdateOutcome> {
    const data: Prisma.BindingUncheckedUpdateInput = { ...recordOf(binding, standing).data };
    let unconfirmed = uncertain.map((u) => u.kind);
    try {
      const detail = await this.provider.querySubscriptionDetail(
        { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX! },
        { requestId: context.requestId },
      );
      Object.assign(data, recordOfDetail(binding, detail));
      // The detail does not report the order id or the display type.
      unconfirmed = unconfirmed.filter((k) => k === 'outId' || k === 'callDisplayType');
    } catch (readError) {
      if (!(readError instanceof ProviderError)) throw readError;
      this.logger.warn(
        `Binding ${binding.id}: its settings could not be read back: ${readError.message}`,
      );
    }
    return { kind: 'reconciled', failed, error, data, unconfirmed };
  }

  private send(binding: Binding, change: SubscriptionUpdate, context: RequestContext) {
    return this.provider.updateSubscription(
      { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX!, change },
      { requestId: context.requestId },
    );
  }
}
