import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock/clock.js';
import { ConflictError, type DomainError } from '../common/errors/domain-error.js';
import { providerFailure } from '../provider/provider-failure.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import type { Binding } from '../generated/prisma/client.js';
import { XClaimService, type XClaimTerms } from '../inventory/x-claim.service.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { bindAxbRequest } from './bind-axb-request.js';
import { callControlOf, checkAsr, type CallControl } from './call-control.js';
import { BindingsRepository } from './bindings.repository.js';
import { PlacementRepository } from './placement.repository.js';
import { resolveExpiry, type RequestedExpiry } from './requested-expiry.js';
import { SettlementRepository } from './settlement.repository.js';
import { UnbindService } from './unbind.service.js';
import { BindOutcomePendingError, type ProviderAnswer } from './bind-outcome-pending.error.js';
import { withDeadline } from '../common/async/with-deadline.js';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  mayHaveBeenApplied,
} from '../common/errors/database-unavailable.js';

/** A bind as the order service asks for it (POST /v1/bindings). */
export interface BindRequest extends RequestedExpiry {
  outId: string;
  phoneA: string;
  phoneB: string;
  /** The configured default pool when absent. */
  poolKey?: string;
  city?: string;
  cityStrict?: boolean;
  record?: boolean;
  /** A pinned X; no other number will do. */
  phoneX?: string;
  /** BindAxb's other options (call-control.ts), each validated by the DTO. */
  outOrderId?: string;
  callRestrict?: string;
  callDisplayType?: unknown;
  callTimeout?: unknown;
  ringConfig?: unknown;
  dtmfConfig?: unknown;
  asrStatus?: boolean;
  asrModelId?: string;
}

export interface BindOutcome {
  binding: Binding;
  /** False when the request replayed an existing binding for the order. */
  created: boolean;
}

/** How often a replay looks again at a binding another instance is still binding. */
const SETTLE_POLL_MS = 50;
/** First pause before a settle is written again while the database is unavailable, ms. */
const SETTLE_RETRY_MS = 100;

/**
 * Binds A and B on an X for one order (invariants 1–3). The pending binding is written on an X
 * we chose before the provider is called (one statement: placement.repository.ts), the answer is
 * recorded in one more (settlement.repository.ts); replays of the order return its binding without
 * another provider call; a provider conflict on X moves the binding to the next X.
 */
@Injectable()
export class BindService {
  private readonly logger = new Logger(BindService.name);
  /** Binds in flight in this instance, by order: identical concurrent requests share one. */
  private readonly inFlight = new Map<string, Promise<BindOutcome>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly xClaims: XClaimService,
    private readonly placements: PlacementRepository,
    private readonly settlements: SettlementRepository,
    private readonly bindings: BindingsRepository,
    private readonly unbinder: UnbindService,
    private readonly refusals: LogThrottle,
  ) {}

  async bind(request: BindRequest, context: RequestContext): Promise<BindOutcome> {
    const expiresAt = resolveExpiry(
      request,
      this.clock.now(),
      this.config.bindings.maxTtlSeconds,
      true,
    )!;
    if (request.phoneA === request.phoneB) {
      throw validationFailed('phoneB', 'must differ from phoneA');
    }
    const callControl = callControlOf(request);
    checkAsr(
      request.record ?? false,
      callControl.asrStatus ?? false,
      callControl.asrModelId ?? null,
    );
    const poolKey = request.poolKey ?? this.config.pools.defaultPoolKey;
    // Shared only within the caller group: another group's bind of the order is refused by the
    // database (taken), never answered with this one's binding.
    const key = `${context.scope.group}\u0000${poolKey}\u0000${request.outId}`;
    const running = this.inFlight.get(key);
    if (running) return this.asReplay((await running).binding, request);
    const started = this.bindOnce({ ...request, poolKey }, expiresAt, callControl, context).finally(
      () => this.inFlight.delete(key),
    );
    this.inFlight.set(key, started);
    return started;
  }

  private async bindOnce(
    request: BindRequest & { poolKey: string },
    expiresAt: Date,
    callControl: CallControl,
    context: RequestContext,
  ): Promise<BindOutcome> {
    const claim = this.xClaims.terms({
      poolKey: request.poolKey,
      phoneA: request.phoneA,
      phoneB: request.phoneB,
      city: request.city,
      cityStrict: request.cityStrict ?? false,
      pinned: request.phoneX,
    });
    const placed = await this.placements
      .place(
        { outId: request.outId, record: request.record ?? false, expiresAt, callControl },
        claim,
        { actor: context.actor, details: { requestId: context.requestId } },
        context.scope,
        this.clock.now(),
      )
      .catch((error: unknown) => {
        // Sent, and no answer: the pending binding may be recorded (a frozen server commits it
        // when it continues; reconciliation then binds it), so this is not "nothing happened".
        if (isDatabaseUnavailable(error) && mayHaveBeenApplied(error)) {
          throw new BindOutcomePendingError(
            { outId: request.outId, poolKey: request.poolKey },
            'not-asked',
          );
        }
        throw error;
      });
    if (placed.kind === 'taken') throw orderTaken(request.outId);
    if (placed.kind === 'replay') {
      this.asReplay(placed.binding, request);
      return this.asReplay(await this.awaitSettled(placed.binding), request);
    }
    if (placed.kind === 'refused') throw this.xClaims.refusal(placed.reason, claim);
    const answer: { last: ProviderAnswer } = { last: 'not-asked' };
    try {
      return {
        binding: await this.callProvider(placed.binding, claim, context, answer),
        created: true,
      };
    } catch (error) {
      // The binding is recorded: the database going away from here on (moving it to another X,
      // settling, finishing an unbind asked for meanwhile) leaves its outcome open, never undone.
      if (isDatabaseUnavailable(error) && !(error instanceof BindOutcomePendingError)) {
        throw new BindOutcomePendingError({ bindingId: placed.binding.id }, answer.last);
      }
      throw error;
    }
  }

  /**
   * BindAxb with X pinned, until it answers; after isv.BIND_CONFLICT (A or B already on X at the
   * provider) the binding moves to the next X, up to BIND_MAX_ATTEMPTS, unless X was pinned.
   */
  private async callProvider(
    first: Binding,
    claim: XClaimTerms,
    context: RequestContext,
    answer: { last: ProviderAnswer },
  ): Promise<Binding> {
    let binding = first;
    const tried = [first.phoneX!];
    for (let attempt = 1; ; attempt += 1) {
      let error: ProviderError;
      try {
        const result = await this.provider.bindAxb(bindAxbRequest(binding), {
          requestId: context.requestId,
        });
        answer.last = 'bound';
        if (result.phoneX !== binding.phoneX) {
          this.logger.warn(
            `Bind ${binding.id}: the provider answered another X than the pinned one`,
          );
        }
        const settled = await this.settle(binding, 'bound', (timeoutMs) =>
          this.settlements.bound(
            binding.id,
            result.subsId,
            { actor: context.actor, details: { subsId: result.subsId, phoneX: result.phoneX } },
            this.clock.now(),
            timeoutMs,
          ),
        );
        // DELETEd while the bind was in flight: the SubsId is recorded, so the unbind proceeds.
        if (settled.state === 'unbinding') {
          return this.unbinder.complete(settled, {
            actor: context.actor,
            details: { requestId: context.requestId ?? null },
          });
        }
        return settled;
      } catch (caught) {
        if (!(caught instanceof ProviderError)) throw caught;
        error = caught;
      }
      answer.last = error.mutating && error.outcome === 'unknown' ? 'unknown' : 'failed';
      const conflict = error instanceof ProviderCodeError && error.kind === 'conflict';
      if (conflict && !claim.pinned && attempt < this.config.bindings.maxBindAttempts) {
        const providerCode = (error as ProviderCodeError).code;
        const moved = await this.placements.move(
          binding.id,
          { ...claim, exclude: tried },
          {
            actor: context.actor,
            details: { providerCode, phoneX: binding.phoneX },
          },
          this.clock.now(),
        );
        if (moved.kind === 'placed') {
          binding = moved.binding;
          tried.push(binding.phoneX!);
          continue;
        }
      }
      throw await this.settleFailure(binding, error, context);
    }
  }

  /**
   * Records the failure (failed, or unknown when the provider may have bound) and maps it. A
   * binding the order service asked to unbind meanwhile is unbound when nothing was bound, and
   * left `unbinding` for reconciliation when the outcome is unknown.
   */
  private async settleFailure(
    binding: Binding,
    error: ProviderError,
    context: RequestContext,
  ): Promise<DomainError> {
    const unknown = error.mutating && error.outcome === 'unknown';
    const recorded = await this.settle(binding, unknown ? 'unknown' : 'failed', (timeoutMs) =>
      this.settlements.unsettled(
        binding.id,
        unknown ? 'unknown' : 'failed',
        {
          actor: context.actor,
          details: {
            error: error.name,
            providerCode: error instanceof ProviderCodeError ? error.code : null,
            providerRequestId: error.requestId ?? null,
          },
        },
        this.clock.now(),
        timeoutMs,
      ),
    );
    if (recorded.state === 'unbinding' && !unknown) {
      await this.unbinder.finish(
        recorded,
        null,
        { actor: context.actor, details: { requestId: context.requestId ?? null } },
        { reason: 'the bind did not take effect at the provider' },
      );
    }
    const failure = providerFailure(error, { bindingId: binding.id });
    this.refusals.note(
      `bind ${failure.code}`,
      `Bind ${binding.id} for order ${binding.outId} (${maskPhone(binding.phoneA)} / ${maskPhone(binding.phoneB)}) ` +
        `${unknown ? 'has an unknown outcome' : 'failed'}: ${error.message}`,
      context.requestId,
    );
    return failure;
  }

  /**
   * Records the provider's answer, retried briefly while the database is unavailable: within
   * DATABASE_QUERY_TIMEOUT_MS in all, each attempt with what is left of it. Still unrecorded
   * then, the binding stays `pending` (as written before the provider call) for reconciliation,
   * and the caller is told the outcome is not known yet (503 BIND_OUTCOME_PENDING).
   */
  private async settle(
    binding: Binding,
    answer: 'bound' | 'failed' | 'unknown',
    write: (timeoutMs: number) => Promise<Binding>,
  ): Promise<Binding> {
    const deadline = Date.now() + this.config.database.queryTimeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      const left = deadline - Date.now();
      try {
        return await withDeadline(write(left), left, () => new DatabaseUnavailableError());
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        const pause = Math.min(SETTLE_RETRY_MS * 2 ** attempt, 1000);
        if (Date.now() + pause >= deadline) {
          this.refusals.note(
            'bind BIND_OUTCOME_PENDING',
            `Bind ${binding.id} (${answer} at the provider) could not be recorded: ` +
              `${(error as Error).message}; left pending for reconciliation`,
          );
          throw new BindOutcomePendingError({ bindingId: binding.id }, answer);
        }
        await delay(pause);
      }
    }
  }

  /**
   * Waits (bounded) for another instance's bind of the same order to leave `pending`. The
   * database going away meanwhile ends the wait: the binding is answered as last read.
   */
  private async awaitSettled(binding: Binding): Promise<Binding> {
    const deadline = Date.now() + this.config.provider.timeoutMs + 1000;
    let current = binding;
    while (current.state === 'pending' && Date.now() < deadline) {
      await delay(SETTLE_POLL_MS);
      try {
        current = (await this.bindings.findById(current.id)) ?? current;
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        return current;
      }
    }
    return current;
  }

  /** The same caller group's replay: idempotent, or 409 naming the fields that differ. */
  private asReplay(binding: Binding, request: BindRequest): BindOutcome {
    const differs = (['phoneA', 'phoneB'] as const).filter((f) => binding[f] !== request[f]);
    if (differs.length > 0) {
      throw new ConflictError(
        'OUT_ID_CONFLICT',
        `Order ${request.outId} is already bound with a different ${differs.join(' and ')}`,
        { outId: request.outId, fields: differs, bindingId: binding.id },
      );
    }
    return { binding, created: false };
  }
}

/**
 * The order has a live binding another caller group made: 409 saying only that the order id is
 * taken (no binding id, no word on its parties: issue 27).
 */
function orderTaken(outId: string): ConflictError {
  return new ConflictError('OUT_ID_CONFLICT', `Order ${outId} is taken`, {
    outId,
    field: 'outId',
  });
}
