import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConflictError, DomainError } from '../common/errors/domain-error.js';
import { providerFailure } from '../provider/provider-failure.js';
import type { CallerScope, RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import type { Binding } from '../generated/prisma/client.js';
import { violatedUniqueIndex } from '../prisma/prisma-errors.js';
import { parseCallDisplayType, type CallRestrictUpdate } from '../protocol/call-control.js';
import {
  ProviderCodeError,
  ProviderTimeoutError,
  type ProviderError,
} from '../provider/errors/index.js';
import type { SubscriptionUpdate } from '../provider/provider.port.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { BindingExpiryRepository } from './binding-expiry.repository.js';
import { requireOwned } from './binding-owner.js';
import { OrderAnswerAccess } from './order-answer-access.js';
import { EventKind } from './binding-states.js';
import { BindingsRepository } from './bindings.repository.js';
import { resolveExpiry, type RequestedExpiry } from './requested-expiry.js';
import {
  differences,
  inverseOf,
  recordingAfter,
  recordOf,
  subscriptionUpdates,
  type RequestedChange,
} from './subscription-changes.js';
import { SubscriptionUpdater, type UpdateOutcome } from './subscription-updater.js';

/** PATCH /v1/bindings/{id}: what the request may change (each field optional). */
export interface BindingChangeRequest extends RequestedExpiry {
  phoneA?: string;
  phoneB?: string;
  callRestrict?: CallRestrictUpdate;
  callDisplayType?: unknown;
  outId?: string;
  record?: boolean;
  asrStatus?: boolean;
  asrModelId?: string;
}

/**
 * Changing an active binding in any way Dyplsapi allows for AXB (unbinding: unbind.service.ts;
 * the end of a trip: end-trip.service.ts). A request is one change: its UpdateSubscription calls
 * succeed together (one `updated` event naming every field, with who asked), or the binding is
 * left as it was (what took effect is undone at the provider), or, when undoing fails too, the
 * record is made to agree with what the provider holds (SubscriptionUpdater); an `update_failed`
 * event says which.
 */
@Injectable()
export class BindingChangesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly bindings: BindingsRepository,
    private readonly expiry: BindingExpiryRepository,
    private readonly updater: SubscriptionUpdater,
    private readonly refusals: LogThrottle,
    private readonly answers: OrderAnswerAccess,
  ) {}

  /** The binding after the change; its answer (A and B in full) is recorded in access_log. */
  async update(
    id: string,
    request: BindingChangeRequest,
    context: RequestContext,
  ): Promise<Binding> {
    const changed = await this.change(id, request, context);
    await this.answers.record('PATCH /v1/bindings/:id', changed.id, context);
    return changed;
  }

  private async change(
    id: string,
    request: BindingChangeRequest,
    context: RequestContext,
  ): Promise<Binding> {
    const change = this.requested(request);
    const binding = await this.requireActive(id, context.scope);
    const recording = recordingAfter(binding, change);
    if (change.asrStatus === true && !recording.record) {
      throw validationFailed('asrStatus', 'needs recording on (record: true)');
    }
    if (change.asrModelId !== undefined && !recording.asr) {
      throw validationFailed('asrModelId', 'needs asrStatus: true');
    }
    const updates = subscriptionUpdates(binding, change);
    if (updates.length === 0) return binding;
    await this.checkPartiesFree(binding, change);
    await this.checkOrderFree(binding, change);

    const outcome = await this.updater.apply(binding, updates, context);
    if (outcome.kind !== 'applied')
      throw await this.recordFailure(binding, updates, outcome, context);
    try {
      return await this.recordApplied(binding, updates, context);
    } catch (error) {
      // Another live binding took the order id between the check and now: undo, then refuse.
      if (violatedUniqueIndex(error) !== 'live_pairs_order_key') throw error;
      const undo = updates.map((u) => inverseOf(binding, u)).filter((u) => u !== null);
      await this.updater.apply(binding, undo.reverse(), context);
      throw this.orderTaken(change.outId!);
    }
  }

  /** The request as a change; 400 when it asks for nothing. */
  private requested(request: BindingChangeRequest): RequestedChange {
    const expiresAt = resolveExpiry(
      request,
      this.clock.now(),
      this.config.bindings.maxTtlSeconds,
      false,
    );
    const display =
      request.callDisplayType === undefined
        ? undefined
        : parseCallDisplayType(request.callDisplayType);
    const change: RequestedChange = {
      phoneA: request.phoneA,
      phoneB: request.phoneB,
      expiresAt,
      callRestrict: request.callRestrict,
      callDisplayType: display?.ok ? display.value : undefined,
      outId: request.outId,
      record: request.record,
      asrStatus: request.asrStatus,
      asrModelId: request.asrModelId,
    };
    if (Object.values(change).every((v) => v === undefined)) {
      throw validationFailed(
        'body',
        'nothing to change: give phoneA, phoneB, expiresAt or ttlSeconds, callRestrict, ' +
          'callDisplayType, outId, record, asrStatus or asrModelId',
      );
    }
    return change;
  }

  /**
   * The binding, if the caller may act on it (404 as for an unknown id otherwise) and it is
   * active and not overdue (409 otherwise; an overdue one is expired).
   */
  async requireActive(id: string, scope: CallerScope): Promise<Binding> {
    const binding = requireOwned(id, await this.bindings.findById(id), scope);
    const now = this.clock.now();
    if (binding.state === 'active' && binding.expiresAt <= now) {
      await this.expiry.expire(id, { now, actor: 'update', onlyIfOverdue: true });
      throw new ConflictError('BINDING_NOT_LIVE', 'Binding has expired', { state: 'expired' });
    }
    if (binding.state !== 'active') {
      const code = ['pending', 'unknown'].includes(binding.state)
        ? 'BINDING_NOT_SETTLED'
        : 'BINDING_NOT_LIVE';
      throw new ConflictError(code, `Binding is ${binding.state}`, { state: binding.state });
    }
    return binding;
  }

  /** A new party must not already be on this X in another live binding (checked before asking). */
  private async checkPartiesFree(binding: Binding, change: RequestedChange): Promise<void> {
    const phoneA = change.phoneA ?? binding.phoneA;
    const phoneB = change.phoneB ?? binding.phoneB;
    if (phoneA === phoneB) {
      throw new ConflictError('SAME_PARTIES', 'phoneA and phoneB would be the same number', {
        field: change.phoneB ? 'phoneB' : 'phoneA',
      });
    }
    const newcomers = [change.phoneA, change.phoneB].filter(
      (p): p is string => !!p && p !== binding.phoneA && p !== binding.phoneB,
    );
    if (newcomers.length === 0) return;
    const taken = await this.bindings.partyOnX(
      binding.phoneX!,
      newcomers,
      binding.id,
      this.clock.now(),
    );
    if (taken) {
      throw new ConflictError(
        'X_CONFLICT',
        `${maskPhone(taken)} already has a live binding on this X`,
        { field: taken === change.phoneA ? 'phoneA' : 'phoneB' },
      );
    }
  }

  /** A new order id must not be another live binding's in the pool (invariant 1). */
  private async checkOrderFree(binding: Binding, change: RequestedChange): Promise<void> {
    if (change.outId === undefined || change.outId === binding.outId) return;
    if (await this.bindings.liveOrderHolder(binding.poolKey, change.outId, binding.id)) {
      throw this.orderTaken(change.outId);
    }
  }

  private orderTaken(outId: string): ConflictError {
    return new ConflictError('OUT_ID_CONFLICT', `Order ${outId} has another live binding`, {
      outId,
      field: 'outId',
    });
  }

  private recordApplied(
    binding: Binding,
    updates: readonly SubscriptionUpdate[],
    context: RequestContext,
  ): Promise<Binding> {
    const { data, changed } = recordOf(binding, updates);
    return this.bindings.transition(
      binding.id,
      data,
      {
        kind: EventKind.updated,
        actor: context.actor,
        details: { changed, requestId: context.requestId ?? null },
      },
      this.clock.now(),
    );
  }

  /**
   * The change did not go through: one `update_failed` event saying what was asked, which call
   * failed and how the binding was left; the record takes what the provider holds when undoing
   * failed. A binding the provider has already ended (isv.FORBIDDEN_ACTION) is expired.
   */
  async recordFailure(
    binding: Binding,
    updates: readonly SubscriptionUpdate[],
    outcome: Exclude<UpdateOutcome, { kind: 'applied' }>,
    context: RequestContext,
  ): Promise<DomainError> {
    const { failed, error } = outcome;
    const now = this.clock.now();
    const expired = error instanceof ProviderCodeError && error.kind === 'forbidden-state';
    const reconciled = outcome.kind === 'reconciled' ? outcome.data : {};
    await this.bindings.transition(
      binding.id,
      expired ? { ...reconciled, state: 'expired', endedAt: now } : reconciled,
      {
        kind: EventKind.updateFailed,
        actor: context.actor,
        details: {
          requested: updates.map((u) => u.kind),
          change: failed.kind,
          outcome: error.outcome,
          providerCode: error instanceof ProviderCodeError ? error.code : null,
          error: error.name,
          left: outcome.kind === 'undone' ? 'as it was' : 'as the provider holds it',
          ...(outcome.kind === 'reconciled'
            ? { changed: differences(binding, outcome.data), unconfirmed: outcome.unconfirmed }
            : {}),
          requestId: context.requestId ?? null,
        },
      },
      now,
    );
    this.refusals.note(
      `update failed: ${error instanceof ProviderCodeError ? error.code : error.name}`,
      `Update of binding ${binding.id} (${failed.kind}) failed, ${outcome.kind}: ${error.message}`,
    );
    return outcome.kind === 'undone'
      ? undoneFailure(error, binding.id)
      : providerFailure(error, { bindingId: binding.id });
  }
}

/**
 * A change the provider did not confirm, and that was undone: nothing changed, so the caller may
 * simply retry (the general mapping would say the outcome is unknown).
 */
function undoneFailure(error: ProviderError, bindingId: string): DomainError {
  if (error.outcome !== 'unknown') return providerFailure(error, { bindingId });
  return new DomainError(
    'CHANGE_UNDONE',
    `The provider did not confirm ${error.action}; the change was undone and the binding is as it was: retry`,
    error instanceof ProviderTimeoutError ? 504 : 502,
    {
      bindingId,
      action: error.action,
      ...(error.requestId ? { providerRequestId: error.requestId } : {}),
    },
  );
}
