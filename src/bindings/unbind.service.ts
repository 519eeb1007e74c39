import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import type { Binding } from '../generated/prisma/client.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { BindingExpiryRepository } from './binding-expiry.repository.js';
import { requireOwned } from './binding-owner.js';
import { OrderAnswerAccess, type OrderAnswerRoute } from './order-answer-access.js';
import { LIVE_STATES } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';
import { UnbindingRepository } from './unbinding.repository.js';

/**
 * DELETE /v1/bindings/{id} at trip end. Always accepted: the intent is recorded first (the binding
 * becomes `unbinding`, an `unbind_requested` event; from then on it routes no call and a replay
 * of the order gets it back, not a new binding), then the provider side is ended:
 * - with a SubsId, UnbindSubscription at once: confirmed (or the provider no longer knows it) →
 *   `unbound`; any other failure (timeout, unreachable, refused) leaves it `unbinding` with an
 *   `unbind_failed` event, for reconciliation;
 * - without one (its bind is still in flight here or elsewhere, or its outcome is unknown), the
 *   bind's own settle unbinds it once it learns the SubsId, or reconciliation finds what the
 *   provider holds on X and unbinds that.
 * Reconciliation ends every `unbinding` binding `unbound` (or, should its expiry come first,
 * `expired`, with the provider side checked).
 */
@Injectable()
export class UnbindService {
  constructor(
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly unbindings: UnbindingRepository,
    private readonly expiry: BindingExpiryRepository,
    private readonly refusals: LogThrottle,
    private readonly answers: OrderAnswerAccess,
  ) {}

  /**
   * The binding as it is after the request: ended (200), or `unbinding` (202); 404 for one the
   * caller may not act on, as for an unknown id. The answer (A and B in full) is recorded in
   * access_log under `route`.
   */
  async unbind(
    id: string,
    context: RequestContext,
    route: OrderAnswerRoute = 'DELETE /v1/bindings/:id',
  ): Promise<Binding> {
    const binding = await this.unbindOwned(id, context);
    await this.answers.record(route, binding.id, context);
    return binding;
  }

  private async unbindOwned(id: string, context: RequestContext): Promise<Binding> {
    const found = requireOwned(id, await this.unbindings.find(id), context.scope);
    if (!LIVE_STATES.includes(found.state)) return found;
    const now = this.clock.now();
    if (found.expiresAt <= now) {
      // Over already: the provider ended it at the same Expiration (checked when it was open).
      await this.expiry.expire(id, { now, actor: context.actor, onlyIfOverdue: true });
      return (await this.unbindings.find(id)) ?? found;
    }
    const origin = { actor: context.actor, details: { requestId: context.requestId ?? null } };
    const requested =
      found.state === 'unbinding' ? found : await this.unbindings.request(id, origin, now);
    if (!requested || requested.state !== 'unbinding' || !requested.subsId) {
      return requested ?? found;
    }
    return this.complete(requested, origin);
  }

  /**
   * UnbindSubscription of an `unbinding` binding with a SubsId, then `unbound`. A failure leaves
   * it `unbinding` for reconciliation (and so does a database that cannot record the end: the
   * provider call is repeated then, and answers that the SubsId is gone).
   */
  async complete(binding: Binding, origin: EventOrigin): Promise<Binding> {
    try {
      await this.provider.unbindSubscription(
        { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX! },
        { requestId: (origin.details.requestId as string | null) ?? undefined },
      );
    } catch (error) {
      // Gone at the provider already (expired there, or unbound by an earlier attempt): done.
      const gone = error instanceof ProviderCodeError && error.kind === 'not-found';
      if (!gone) {
        if (!(error instanceof ProviderError)) throw error;
        await this.recordFailure(binding, error, origin);
        return binding;
      }
    }
    return this.finish(binding, binding.subsId, origin, { unboundAtProvider: true });
  }

  /** `unbinding` → `unbound` (the provider holds nothing of it); as it is when that cannot be written. */
  async finish(
    binding: Binding,
    subsId: string | null,
    origin: EventOrigin,
    details: Record<string, unknown>,
  ): Promise<Binding> {
    try {
      const done = await this.unbindings.finish(
        binding.id,
        subsId,
        { actor: origin.actor, details: { ...origin.details, ...details } },
        this.clock.now(),
      );
      return done ?? binding;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.refusals.note(
        'unbind DATABASE_UNAVAILABLE',
        `Binding ${binding.id} is unbound at the provider but could not be recorded ` +
          `(${(error as Error).message}); reconciliation will`,
      );
      return binding;
    }
  }

  private async recordFailure(
    binding: Binding,
    error: ProviderError,
    origin: EventOrigin,
  ): Promise<void> {
    this.refusals.note(
      `unbind not confirmed: ${error instanceof ProviderCodeError ? error.code : error.name}`,
      `Unbind of binding ${binding.id} (order ${binding.outId}) not confirmed, left to ` +
        `reconciliation: ${error.message}`,
    );
    await this.unbindings
      .failed(
        binding.id,
        {
          actor: origin.actor,
          details: {
            ...origin.details,
            error: error.name,
            outcome: error.outcome,
            providerCode: error instanceof ProviderCodeError ? error.code : null,
            providerRequestId: error.requestId ?? null,
          },
        },
        this.clock.now(),
      )
      .catch((failure: unknown) => {
        // The binding is `unbinding` already; only the event is lost.
        if (!isDatabaseUnavailable(failure)) throw failure;
      });
  }
}
