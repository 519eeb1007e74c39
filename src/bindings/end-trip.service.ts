import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Binding } from '../generated/prisma/client.js';
import type { SubscriptionUpdate } from '../provider/provider.port.js';
import { BindingChangesService } from './binding-changes.service.js';
import { requireOwned } from './binding-owner.js';
import { BindingsRepository } from './bindings.repository.js';
import { ContactWindowsRepository } from './contact-windows.repository.js';
import { OrderAnswerAccess } from './order-answer-access.js';
import { SubscriptionUpdater } from './subscription-updater.js';
import { UnbindService } from './unbind.service.js';

/** After drop-off the driver (B) may no longer call X; the passenger (A) still can. */
const AFTER_TRIP = 'CONTROL_BX_DISABLE';
const ROUTE = 'POST /v1/bindings/:id/end-trip';
/** Most batches per pass, so one pass stays bounded; the next pass continues. */
const MAX_BATCHES = 20;

/** How a window closing pass went. */
export interface WindowClosing {
  closed: number;
  unbindRequested: number;
  unbound: number;
}

/**
 * Trip phases (A is the passenger, B the driver). POST /v1/bindings/{id}/end-trip: the driver's
 * direction is restricted at once at the provider (CONTROL_BX_DISABLE, so a call from B to X is
 * intercepted there, and routing refuses B here), the passenger can still reach the driver about
 * a lost item, and the binding is unbound when the contact window closes — by the contact-window
 * job, exactly once across instances (contact-windows.repository.ts). A window of 0 is the unbind
 * of DELETE /v1/bindings/{id}. The window never outlives the binding: it closes at the binding's
 * expiry at the latest (extend the expiry first to keep it longer).
 */
@Injectable()
export class EndTripService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly changes: BindingChangesService,
    private readonly updater: SubscriptionUpdater,
    private readonly windows: ContactWindowsRepository,
    private readonly bindings: BindingsRepository,
    private readonly unbinder: UnbindService,
    private readonly answers: OrderAnswerAccess,
  ) {}

  /**
   * The binding after the end of its trip: in its contact window, or (window 0) unbound or
   * unbinding. Ending a trip that has already ended answers the binding as it is. 404 for a
   * binding the caller may not act on, as for an unknown id; the answer (A and B in full) is
   * recorded in access_log.
   */
  async endTrip(
    id: string,
    contactWindowSeconds: number | undefined,
    context: RequestContext,
  ): Promise<Binding> {
    const window = contactWindowSeconds ?? this.config.bindings.endTripContactWindowSeconds;
    if (window === 0) return this.unbinder.unbind(id, context, ROUTE);
    const ended = await this.endTripOwned(id, window, context);
    await this.answers.record(ROUTE, ended.id, context);
    return ended;
  }

  private async endTripOwned(
    id: string,
    window: number,
    context: RequestContext,
  ): Promise<Binding> {
    const found = requireOwned(id, await this.bindings.findById(id), context.scope);
    if (found.tripEndedAt) return found;
    const binding = await this.changes.requireActive(id, context.scope);

    const updates: SubscriptionUpdate[] =
      binding.callRestrict === AFTER_TRIP
        ? []
        : [{ kind: 'callRestrict', callRestrict: AFTER_TRIP }];
    const outcome = await this.updater.apply(binding, updates, context);
    if (outcome.kind !== 'applied') {
      throw await this.changes.recordFailure(binding, updates, outcome, context);
    }
    const now = this.clock.now();
    const closesAt = new Date(Math.min(now.getTime() + window * 1000, binding.expiresAt.getTime()));
    const ended = await this.windows.endTrip(binding.id, AFTER_TRIP, now, closesAt, {
      actor: context.actor,
      details: {
        contactWindowSeconds: window,
        contactUntil: closesAt.toISOString(),
        callRestrict: { from: binding.callRestrict, to: AFTER_TRIP },
        requestId: context.requestId ?? null,
      },
    });
    // Unbound or ended by someone else meanwhile (or another end-trip won): as it is now.
    return ended ?? (await this.bindings.findById(id)) ?? binding;
  }

  /**
   * Closes the contact windows due now, in batches: each binding still live is asked to unbind
   * (recorded first, in the statement that takes its window), then unbound at the provider; one
   * that cannot be unbound there now stays `unbinding` for reconciliation.
   */
  async closeDueWindows(actor: string, stopping?: AbortSignal): Promise<WindowClosing> {
    const { batchSize } = this.config.scheduler.contactWindows;
    const counts: WindowClosing = { closed: 0, unbindRequested: 0, unbound: 0 };
    const now = this.clock.now();
    for (let batch = 0; batch < MAX_BATCHES && !stopping?.aborted; batch += 1) {
      const { closed, unbinding } = await this.windows.closeDue(now, batchSize, actor);
      counts.closed += closed;
      counts.unbindRequested += unbinding.length;
      for (const binding of unbinding) {
        if (!binding.subsId) continue;
        const done = await this.unbinder.complete(binding, {
          actor,
          details: { reason: 'contact window closed', requestId: null },
        });
        // Not unbound there now (UnbindService says why): left `unbinding` for reconciliation.
        if (done.state === 'unbound') counts.unbound += 1;
      }
      if (closed < batchSize) break;
    }
    return counts;
  }
}
