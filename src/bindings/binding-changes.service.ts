import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConflictError, NotFoundError } from '../common/errors/domain-error.js';
import { providerFailure } from '../provider/provider-failure.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import type { Binding } from '../generated/prisma/client.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort, type SubscriptionChange } from '../provider/provider.port.js';
import { BindingExpiryRepository } from './binding-expiry.repository.js';
import { EventKind } from './binding-states.js';
import { BindingsRepository } from './bindings.repository.js';
import { resolveExpiry, type RequestedExpiry } from './requested-expiry.js';

/** PATCH /v1/bindings/{id}: a new A and/or B and/or expiry. */
export interface BindingChangeRequest extends RequestedExpiry {
  phoneA?: string;
  phoneB?: string;
}

interface BindingChange {
  phoneA?: string;
  phoneB?: string;
  expiresAt?: Date;
}

/** Changing a party or the expiry of an active binding (unbinding: unbind.service.ts). */
@Injectable()
export class BindingChangesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly bindings: BindingsRepository,
    private readonly expiry: BindingExpiryRepository,
    private readonly refusals: LogThrottle,
  ) {}

  /**
   * Applies each change through UpdateSubscription (one OperateType per call), then records the
   * new values and one `updated` event. Refused with 409 once the binding is no longer live.
   */
  async update(
    id: string,
    request: BindingChangeRequest,
    context: RequestContext,
  ): Promise<Binding> {
    const expiresAt = resolveExpiry(
      request,
      this.clock.now(),
      this.config.bindings.maxTtlSeconds,
      false,
    );
    if (!request.phoneA && !request.phoneB && !expiresAt) {
      throw validationFailed(
        'body',
        'nothing to change: give phoneA, phoneB, expiresAt or ttlSeconds',
      );
    }
    const change: BindingChange = { phoneA: request.phoneA, phoneB: request.phoneB, expiresAt };
    const binding = await this.requireActive(id);
    const changes = this.providerChanges(binding, change);
    if (changes.length === 0) return binding;
    await this.checkPartiesFree(binding, change);

    const applied: SubscriptionChange[] = [];
    for (const c of changes) {
      try {
        await this.provider.updateSubscription(
          { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX!, change: c },
          { requestId: context.requestId },
        );
        applied.push(c);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        await this.recordPartial(binding, applied, c, error, context);
        throw providerFailure(error, { bindingId: binding.id });
      }
    }
    return this.recordApplied(binding, applied, context, EventKind.updated);
  }

  private async requireActive(id: string): Promise<Binding> {
    const binding = await this.bindings.findById(id);
    if (!binding) throw new NotFoundError('Binding', { id });
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

  private providerChanges(binding: Binding, change: BindingChange): SubscriptionChange[] {
    const out: SubscriptionChange[] = [];
    if (change.phoneA && change.phoneA !== binding.phoneA)
      out.push({ kind: 'phoneA', phoneA: change.phoneA });
    if (change.phoneB && change.phoneB !== binding.phoneB)
      out.push({ kind: 'phoneB', phoneB: change.phoneB });
    if (change.expiresAt && change.expiresAt.getTime() !== binding.expiresAt.getTime()) {
      out.push({ kind: 'expiry', expiresAt: change.expiresAt });
    }
    return out;
  }

  /** A new party must not already be on this X in another live binding (checked before asking). */
  private async checkPartiesFree(binding: Binding, change: BindingChange): Promise<void> {
    const phoneA = change.phoneA ?? binding.phoneA;
    const phoneB = change.phoneB ?? binding.phoneB;
    if (phoneA === phoneB) {
      throw new ConflictError('SAME_PARTIES', 'phoneA and phoneB would be the same number', {
        field: change.phoneB ? 'phoneB' : 'phoneA',
      });
    }
    const newcomers = [change.phoneA, change.phoneB].filter((p): p is string => !!p);
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
        {
          field: taken === change.phoneA ? 'phoneA' : 'phoneB',
        },
      );
    }
  }

  private recordApplied(
    binding: Binding,
    applied: SubscriptionChange[],
    context: RequestContext,
    kind: EventKind,
  ): Promise<Binding> {
    const data: { phoneA?: string; phoneB?: string; expiresAt?: Date } = {};
    const changed: Record<string, { from: string; to: string }> = {};
    for (const c of applied) {
      if (c.kind === 'phoneA') {
        data.phoneA = c.phoneA;
        changed.phoneA = { from: maskPhone(binding.phoneA), to: maskPhone(c.phoneA) };
      } else if (c.kind === 'phoneB') {
        data.phoneB = c.phoneB;
        changed.phoneB = { from: maskPhone(binding.phoneB), to: maskPhone(c.phoneB) };
      } else {
        data.expiresAt = c.expiresAt;
        changed.expiresAt = {
          from: binding.expiresAt.toISOString(),
          to: c.expiresAt.toISOString(),
        };
      }
    }
    return this.bindings.transition(
      binding.id,
      data,
      { kind, actor: context.actor, details: { changed, requestId: context.requestId ?? null } },
      this.clock.now(),
    );
  }

  /**
   * A change failed midway: what the provider confirmed is recorded; the failed step is an
   * event. An unknown outcome (timeout) leaves the binding active for the reconciler to compare.
   */
  private async recordPartial(
    binding: Binding,
    applied: SubscriptionChange[],
    failed: SubscriptionChange,
    error: ProviderError,
    context: RequestContext,
  ): Promise<void> {
    if (applied.length > 0) await this.recordApplied(binding, applied, context, EventKind.updated);
    const now = this.clock.now();
    const expired = error instanceof ProviderCodeError && error.kind === 'forbidden-state';
    await this.bindings.transition(
      binding.id,
      expired ? { state: 'expired', endedAt: now } : {},
      {
        kind: EventKind.updateFailed,
        actor: context.actor,
        details: {
          change: failed.kind,
          outcome: error.outcome,
          providerCode: error instanceof ProviderCodeError ? error.code : null,
          error: error.name,
        },
      },
      now,
    );
    this.refusals.note(
      `update failed: ${error instanceof ProviderCodeError ? error.code : error.name}`,
      `Update of binding ${binding.id} (${failed.kind}) failed: ${error.message}`,
    );
  }
}
