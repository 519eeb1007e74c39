import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { bindAxbRequest } from '../bindings/bind-axb-request.js';
import { BindingExpiryRepository } from '../bindings/binding-expiry.repository.js';
import { EventKind, OPEN_STATES } from '../bindings/binding-states.js';
import type { Binding } from '../generated/prisma/client.js';
import { ProviderError } from '../provider/errors/index.js';
import {
  PROVIDER,
  type ProviderCallOptions,
  type ProviderPort,
} from '../provider/provider.port.js';
import { ProviderSide } from './provider-side.js';
import {
  approachFor,
  backoffMs,
  decideFromDetail,
  decideFromRebind,
  type Decision,
} from './reconcile-rules.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { SCHEDULER_ACTOR, type JobCounts, type ScheduledJob } from './scheduled-job.js';

/** What happened to one binding in a run (the run's counts). */
type Outcome =
  'active' | 'expired' | 'failed' | 'unbound' | 'checked' | 'deferred' | 'busy' | 'superseded';
const OUTCOMES: Outcome[] = [
  'active',
  'expired',
  'failed',
  'unbound',
  'checked',
  'deferred',
  'busy',
  'superseded',
];

/**
 * Settles every binding whose provider side is open, and never gives up on one within its
 * lifetime (README: Scheduler):
 * - **pending** (past the grace period) or **unknown** bind outcomes: asked by SubsId
 *   (QuerySubscriptionDetail), or, without one, BindAxb sent again with the same X pinned, which the
 *   provider either accepts (the first request never took effect: the order gets its binding) or
 *   refuses with BIND_CONFLICT (it did: QuerySubsId on X and the details find its SubsId) →
 *   `active`, `expired` or `failed`;
 * - **unbinding**: whatever the provider holds of it (by SubsId, or found on X) is unbound there →
 *   `unbound`;
 * - bindings that **expired while open**: the provider side is checked, and unbound if anything
 *   of it is still live there.
 * A binding it cannot decide now (provider unreachable, slow, throttled, a conflict whose binding
 * is not found yet) waits with capped exponential backoff (SCHEDULER_RECONCILE_BACKOFF_*),
 * counted per binding; its expiry ends it at the latest, and then its provider side is checked.
 * Each binding is leased while it is worked on (reconciliation.repository.ts), so instances never
 * work on one at once and no row lock is held across provider calls; every decision is written
 * only from the state it was made from, with its event.
 */
@Injectable()
export class ReconciliationJob implements ScheduledJob {
  readonly name = 'reconcile' as const;
  private readonly logger = new Logger(ReconciliationJob.name);
  private readonly side: ProviderSide;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly repository: ReconciliationRepository,
    private readonly expiry: BindingExpiryRepository,
  ) {
    this.side = new ProviderSide(provider);
  }

  /** One pass over the bindings due now; stops between bindings once `stopping` is aborted. */
  async run(stopping?: AbortSignal): Promise<JobCounts> {
    const now = this.clock.now();
    const ids = await this.repository.findDue(
      now,
      this.settledBefore(now),
      this.config.scheduler.reconcile.batchSize,
    );
    const counts: JobCounts = { found: ids.length, errors: 0 };
    for (const outcome of OUTCOMES) counts[outcome] = 0;
    for (const id of ids) {
      if (stopping?.aborted) break;
      try {
        counts[await this.reconcile(id)]! += 1;
      } catch (error) {
        // One binding's trouble (the database) must not keep the others waiting; its lease
        // runs out and a later run takes it up again.
        counts.errors! += 1;
        this.logger.warn(`Reconciling binding ${id} failed: ${(error as Error).message}`);
      }
    }
    return counts;
  }

  private settledBefore(now: Date): Date {
    return new Date(now.getTime() - this.config.scheduler.reconcile.graceSeconds * 1000);
  }

  private async reconcile(id: string): Promise<Outcome> {
    // Every provider call made for one binding shares one budget (findOnX may ask about each
    // SubsId on X); the lease outlasts it and the writes that follow.
    const { timeoutMs, readRetries } = this.config.provider;
    const budgetMs = timeoutMs * (readRetries + 1) + 2_000;
    const now = this.clock.now();
    const lease = new Date(now.getTime() + budgetMs + this.config.database.queryTimeoutMs + 5_000);
    const leased = await this.repository.lease(id, now, this.settledBefore(now), lease);
    if (!leased) return 'busy';
    const { binding, attempts } = leased;
    const options = { signal: AbortSignal.timeout(budgetMs) };
    setMaxListeners(250, options.signal);
    const decision = await this.decide(binding, options);
    if (decision.kind === 'deferred') {
      const delay = backoffMs(
        attempts + 1,
        this.config.scheduler.reconcile.backoffSeconds,
        this.config.scheduler.reconcile.backoffMaxSeconds,
      );
      const next = new Date(this.clock.now().getTime() + delay);
      await this.repository.defer(binding.id, lease, next);
      this.logger.warn(
        `Binding ${binding.id} stays ${binding.state} (attempt ${attempts + 1}, ` +
          `next after ${next.toISOString()}): ${decision.reason}`,
      );
      return 'deferred';
    }
    return this.apply(binding, decision);
  }

  /** What the provider says about the binding, by what is open on it. */
  private async decide(binding: Binding, options: ProviderCallOptions): Promise<Decision> {
    try {
      if (binding.state === 'pending' || binding.state === 'unknown') {
        return await this.decideBind(binding, options);
      }
      // unbinding, or ended while open: nothing of it may stay live at the provider.
      if (!binding.subsId && !binding.phoneX) {
        // Written before X was always ours: it cannot be asked about; its expiry ends it there.
        return binding.state === 'unbinding'
          ? { kind: 'deferred', reason: 'no SubsId and no X to ask about; its expiry ends it' }
          : { kind: 'gone', subsId: null, unboundNow: false };
      }
      const ended = await this.side.end(binding, options);
      return { kind: 'gone', ...ended };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return { kind: 'deferred', reason: `${error.name}: ${error.message}` };
    }
  }

  private async decideBind(binding: Binding, options: ProviderCallOptions): Promise<Decision> {
    const approach = approachFor(binding, this.clock.now());
    if (approach === 'wait-for-expiry') {
      return { kind: 'deferred', reason: 'cannot be re-bound now; its expiry ends it' };
    }
    if (approach === 'query') {
      try {
        const detail = await this.provider.querySubscriptionDetail(
          { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX! },
          options,
        );
        return decideFromDetail({ detail });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        return decideFromDetail({ error });
      }
    }
    let decision: ReturnType<typeof decideFromRebind>;
    try {
      const bound = await this.provider.bindAxb(bindAxbRequest(binding), options);
      decision = decideFromRebind({ bound });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      decision = decideFromRebind({ error });
    }
    if (decision.kind !== 'look-up') return decision;
    // BIND_CONFLICT: the first request took effect; its SubsId is found on X.
    const found = await this.side.findOnX(binding, options);
    return found
      ? decideFromDetail({ detail: found }, 'lookup')
      : {
          kind: 'deferred',
          reason:
            'the provider refused the re-bind as a conflict, and X holds no binding of A and B',
        };
  }

  /** Writes the decision; `superseded` when the binding changed meanwhile (the next run sees it). */
  private async apply(
    binding: Binding,
    decision: Exclude<Decision, { kind: 'deferred' }>,
  ): Promise<Outcome> {
    const now = this.clock.now();
    const from = binding.state;
    const details = { decision: decision.kind, from, ...withoutKind(decision) };
    const line =
      `Binding ${binding.id} for order ${binding.outId} (${maskPhone(binding.phoneA)} / ` +
      `${maskPhone(binding.phoneB)} on ${maskPhone(binding.phoneX)}) reconciled from ${from}: ` +
      decision.kind;
    if (decision.kind === 'expired') {
      // The provider reports it expired: ended by the one expire operation, nothing to check.
      const done = await this.expiry.expire(binding.id, {
        now,
        actor: SCHEDULER_ACTOR,
        details,
        onlyIfOverdue: false,
        providerChecked: true,
      });
      if (!done) return 'superseded';
      this.logger.log(line);
      return 'expired';
    }
    const reconciled = { kind: EventKind.reconciled, actor: SCHEDULER_ACTOR, details };
    let settled: Binding | null;
    let outcome: Outcome = decision.kind === 'gone' ? 'checked' : decision.kind;
    if (decision.kind === 'active') {
      settled = await this.repository.settle(
        binding.id,
        { from, to: 'active', subsId: decision.subsId, phoneX: decision.phoneX, event: reconciled },
        now,
      );
    } else if (decision.kind === 'failed') {
      settled = await this.repository.settle(
        binding.id,
        { from, to: 'failed', event: reconciled },
        now,
      );
    } else if (from === 'unbinding') {
      outcome = 'unbound';
      settled = await this.repository.settle(
        binding.id,
        {
          from,
          to: 'unbound',
          subsId: decision.subsId,
          event: { kind: EventKind.unbound, actor: SCHEDULER_ACTOR, details },
        },
        now,
      );
    } else if (OPEN_STATES.includes(from)) {
      // A bind outcome "gone" is not a decision of decideBind; nothing else reaches here open.
      throw new Error(`unexpected decision ${decision.kind} for a ${from} binding`);
    } else {
      // Ended while open: its provider side is checked now (and unbound if it was live).
      settled = await this.repository.settle(
        binding.id,
        { from, to: from, subsId: decision.subsId, event: reconciled },
        now,
      );
    }
    if (!settled) return 'superseded';
    if (decision.kind === 'failed') this.logger.warn(`${line}: ${decision.reason}`);
    else this.logger.log(line);
    return outcome;
  }
}

function withoutKind(decision: Decision): Record<string, unknown> {
  const { kind: _kind, ...rest } = decision;
  void _kind;
  return rest;
}
