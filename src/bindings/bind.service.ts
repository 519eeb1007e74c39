import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock/clock.js';
import { ConflictError, DomainError, NotFoundError } from '../common/errors/domain-error.js';
import { providerFailure } from '../provider/provider-failure.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import type { Binding } from '../generated/prisma/client.js';
import { NumberCandidatesRepository } from '../inventory/number-candidates.repository.js';
import { NumbersRepository } from '../inventory/numbers.repository.js';
import { PoolsRepository } from '../inventory/pools.repository.js';
import { rankCandidates } from '../inventory/x-selection.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { EventKind } from './binding-states.js';
import { BindingsRepository, type NewBinding, type PlaceResult } from './bindings.repository.js';

export interface BindCommand extends NewBinding {
  /** A pinned X; no other number will do. */
  phoneX?: string;
}

export interface CallContext {
  actor: string;
  requestId?: string;
}

export interface BindOutcome {
  binding: Binding;
  /** False when the request replayed an existing binding for the order. */
  created: boolean;
}

/**
 * Binds A and B on an X for one order (invariants 1–3): the binding is written pending before the
 * provider is called, replays of the order return it without another provider call, and the
 * outcome is always settled (active, failed, or unknown for the reconciler).
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
    private readonly bindings: BindingsRepository,
    private readonly pools: PoolsRepository,
    private readonly numbers: NumbersRepository,
    private readonly candidates: NumberCandidatesRepository,
  ) {}

  async bind(command: BindCommand, context: CallContext): Promise<BindOutcome> {
    const key = `${command.poolKey}\u0000${command.outId}`;
    const running = this.inFlight.get(key);
    if (running) return this.asReplay((await running).binding, command);
    const started = this.bindOnce(command, context).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private async bindOnce(command: BindCommand, context: CallContext): Promise<BindOutcome> {
    const pool = await this.pools.find(command.poolKey);
    if (!pool) throw new NotFoundError('Pool', { poolKey: command.poolKey });
    const existing = await this.liveForOrder(command);
    if (existing) return this.asReplay(await this.awaitSettled(existing), command);

    const request: BindCommand = {
      ...command,
      cityStrict: command.cityStrict || pool.cityStrict,
      city: command.city ?? this.config.pools.defaultCity,
    };
    const tried: string[] = [];
    const placed = await this.place(request, tried, context, null);
    if (!placed) throw new Error('a first placement always places or throws');
    if (placed.kind === 'duplicate-out-id') {
      return this.asReplay(await this.awaitSettled(await this.liveForOrder(command)), command);
    }
    let binding = placed.binding;

    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.provider.bindAxb(
          {
            poolKey: binding.poolKey,
            phoneA: binding.phoneA,
            phoneB: binding.phoneB,
            expiresAt: binding.expiresAt,
            phoneX: binding.phoneX ?? undefined,
            expectCity: binding.city ?? undefined,
            record: binding.record,
            outId: binding.outId,
          },
          { requestId: context.requestId },
        );
        return { binding: await this.settleBound(binding, result, context), created: true };
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const conflict = error instanceof ProviderCodeError && error.kind === 'conflict';
        const canMove =
          conflict && !request.phoneX && attempt < this.config.bindings.maxBindAttempts;
        if (canMove && binding.phoneX) {
          tried.push(binding.phoneX);
          const moved = await this.place(request, tried, context, binding, error.code);
          if (moved?.kind === 'placed') {
            binding = moved.binding;
            continue;
          }
        }
        throw await this.settleFailure(binding, error, context);
      }
    }
  }

  /**
   * Writes (or moves) the pending binding onto the best usable X of the pool, skipping numbers
   * that a concurrent bind took; with none left, X is left to the provider (unless pinned).
   */
  private async place(
    request: BindCommand,
    tried: string[],
    context: CallContext,
    moving: Binding | null,
    conflictCode?: string,
  ): Promise<(PlaceResult & { kind: 'placed' | 'duplicate-out-id' }) | null> {
    const now = this.clock.now();
    const maxPairs = this.config.pools.maxPairsPerX;
    const ranked = request.phoneX
      ? [request.phoneX]
      : rankCandidates(await this.candidates.find({ ...request, now, exclude: tried }), {
          city: request.city,
          strict: request.cityStrict,
          maxPairs,
        }).map((c) => c.number);
    const event = moving
      ? {
          kind: EventKind.attemptFailed,
          actor: context.actor,
          details: { providerCode: conflictCode ?? null, phoneX: moving.phoneX },
        }
      : {
          kind: EventKind.created,
          actor: context.actor,
          details: { requestId: context.requestId ?? null },
        };
    const write = (x: string | null, wait: boolean) =>
      moving
        ? this.bindings.movePending(moving, x, maxPairs, event, now, wait)
        : this.bindings.placePending(request, x, maxPairs, event, now, wait);

    // First pass skips numbers another bind is placing a pair on right now, so concurrent binds
    // spread over the least-loaded numbers instead of queueing on the first; the second pass waits.
    const busy: string[] = [];
    for (const x of ranked) {
      const result = await write(x, false);
      if (result.kind !== 'skip') return result;
      if (result.reason === 'busy') busy.push(x);
    }
    for (const x of busy) {
      const result = await write(x, true);
      if (result.kind !== 'skip') return result;
    }
    if (request.phoneX) {
      throw new ConflictError(
        'X_UNAVAILABLE',
        'The pinned phoneX is not usable for this pair now',
        {
          field: 'phoneX',
        },
      );
    }
    // After a provider conflict only our own numbers are tried; the caller settles the failure.
    if (moving) return null;
    // The pool holds numbers here but none can take this pair: asking the provider to pick
    // would only find the same numbers (or bind a party twice on one X), so answer now.
    const city = request.cityStrict ? request.city : undefined;
    if (await this.candidates.holdsAny(request.poolKey, city)) {
      throw new DomainError(
        'NUMBERS_EXHAUSTED',
        'No middle number of the pool can take this pair now',
        503,
        {
          poolKey: request.poolKey,
          reason: 'every usable number carries a party of this pair or is full',
        },
      );
    }
    // Nothing held here (inventory not managed through us yet): let the provider choose X.
    const result = await write(null, true);
    if (result.kind === 'skip') throw new Error('placing without X cannot be skipped');
    return result;
  }

  private async settleBound(
    binding: Binding,
    result: { subsId: string; phoneX: string },
    context: CallContext,
  ): Promise<Binding> {
    const now = this.clock.now();
    return this.bindings.transition(
      binding.id,
      { state: 'active', subsId: result.subsId, phoneX: result.phoneX },
      {
        kind: EventKind.bound,
        actor: context.actor,
        details: { subsId: result.subsId, phoneX: result.phoneX },
      },
      now,
      undefined,
      binding.phoneX === null
        ? (tx) =>
            this.numbers.recordProviderChosen(
              tx,
              binding.poolKey,
              result.phoneX,
              binding.city ?? 'unknown',
              now,
            )
        : undefined,
    );
  }

  /** Records the failure (failed, or unknown when the provider may have bound) and maps it. */
  private async settleFailure(
    binding: Binding,
    error: ProviderError,
    context: CallContext,
  ): Promise<DomainError> {
    const unknown = error.mutating && error.outcome === 'unknown';
    const details = {
      error: error.name,
      providerCode: error instanceof ProviderCodeError ? error.code : null,
      providerRequestId: error.requestId ?? null,
    };
    const now = this.clock.now();
    await this.bindings.transition(
      binding.id,
      unknown ? { state: 'unknown' } : { state: 'failed', endedAt: now },
      {
        kind: unknown ? EventKind.outcomeUnknown : EventKind.failed,
        actor: context.actor,
        details,
      },
      now,
    );
    this.logger.warn(
      `Bind ${binding.id} for order ${binding.outId} (${maskPhone(binding.phoneA)} / ${maskPhone(binding.phoneB)}) ` +
        `${unknown ? 'has an unknown outcome' : 'failed'}: ${error.message}`,
    );
    return providerFailure(error, { bindingId: binding.id });
  }

  /** The order's live binding; one already past its expiry is expired here and ignored. */
  private async liveForOrder(command: BindCommand): Promise<Binding | null> {
    const live = await this.bindings.findLiveByOutId(command.poolKey, command.outId);
    if (live && live.expiresAt <= this.clock.now()) {
      await this.bindings.expireIfOverdue(live.id, 'bind', this.clock.now());
      return null;
    }
    return live;
  }

  /** Waits (bounded) for another instance's bind of the same order to leave `pending`. */
  private async awaitSettled(binding: Binding | null): Promise<Binding> {
    if (!binding)
      throw new ConflictError('BIND_IN_PROGRESS', 'A bind for this order is in progress; retry');
    const deadline = Date.now() + this.config.provider.timeoutMs + 1000;
    let current = binding;
    while (current.state === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = (await this.bindings.findById(current.id)) ?? current;
    }
    return current;
  }

  private asReplay(binding: Binding, command: BindCommand): BindOutcome {
    const differs = (['phoneA', 'phoneB'] as const).filter((f) => binding[f] !== command[f]);
    if (differs.length > 0) {
      throw new ConflictError(
        'OUT_ID_CONFLICT',
        `Order ${command.outId} is already bound with a different ${differs.join(' and ')}`,
        { outId: command.outId, fields: differs, bindingId: binding.id },
      );
    }
    return { binding, created: false };
  }
}
