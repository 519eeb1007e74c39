import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { EventKind } from '../bindings/binding-states.js';
import { BindingsRepository, type Tx } from '../bindings/bindings.repository.js';
import type { Binding, Prisma } from '../generated/prisma/client.js';
import { ProviderError } from '../provider/errors/index.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import {
  approachFor,
  decideFromDetail,
  decideFromRebind,
  type Decision,
} from './reconcile-rules.js';
import { SCHEDULER_ACTOR, type JobCounts, type ScheduledJob } from './scheduled-job.js';

/**
 * Settles bindings whose bind outcome was left open by a timeout, a dropped connection or a
 * crash (pending past a grace period, or unknown). With a SubsId the provider is asked
 * (QuerySubscriptionDetail). Without one, the bind is sent again with the same X pinned, which
 * the provider either accepts (the first request never took effect: the order gets its binding)
 * or refuses with BIND_CONFLICT (it did: the binding is held live until its expiry, since its
 * SubsId cannot be learnt); see reconcile-rules.ts. Either way the provider holds at most one
 * binding per order, and every decision is a `reconciled` event.
 */
@Injectable()
export class ReconciliationJob implements ScheduledJob {
  readonly name = 'reconcile' as const;
  private readonly logger = new Logger(ReconciliationJob.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly unsettled: ReconciliationRepository,
    private readonly bindings: BindingsRepository,
  ) {}

  async run(): Promise<JobCounts> {
    const { graceSeconds, batchSize } = this.config.scheduler.reconcile;
    const now = this.clock.now();
    const ids = await this.unsettled.findUnsettled(
      now,
      new Date(now.getTime() - graceSeconds * 1000),
      batchSize,
    );
    const counts: JobCounts = {
      found: ids.length,
      active: 0,
      expired: 0,
      failed: 0,
      held: 0,
      deferred: 0,
      busy: 0,
      errors: 0,
    };
    // A provider call per binding, held under the row lock: allow for the call and its retries.
    const { timeoutMs, readRetries } = this.config.provider;
    const budgetMs = timeoutMs * (readRetries + 1) + 2_000;
    for (const id of ids) {
      try {
        const decision = await this.unsettled.withUnsettled(id, budgetMs + 5_000, (tx, b) =>
          this.settle(tx, b, budgetMs),
        );
        if (decision === null) counts.busy += 1;
        else counts[decision.kind] += 1;
      } catch (error) {
        // One binding's trouble (a database error) must not keep the others unsettled.
        counts.errors += 1;
        this.logger.warn(`Reconciling binding ${id} failed: ${(error as Error).message}`);
      }
    }
    return counts;
  }

  private async settle(tx: Tx, binding: Binding, budgetMs: number): Promise<Decision> {
    const decision = await this.decide(binding, budgetMs);
    if (decision.kind === 'deferred') {
      this.logger.warn(`Binding ${binding.id} stays ${binding.state}: ${decision.reason}`);
      return decision;
    }
    const now = this.clock.now();
    const { kind, ...rest } = decision;
    const details: Prisma.InputJsonObject = {
      decision: kind,
      from: binding.state,
      ...rest,
      ...(kind === 'held' ? { lapsesAt: binding.expiresAt.toISOString() } : {}),
    };
    const data: Prisma.BindingUncheckedUpdateInput =
      decision.kind === 'active'
        ? { state: 'active', subsId: decision.subsId, phoneX: decision.phoneX }
        : decision.kind === 'held'
          ? { state: 'unknown' }
          : { state: decision.kind, endedAt: now };
    await this.bindings.transition(
      binding.id,
      data,
      {
        kind: EventKind.reconciled,
        actor: SCHEDULER_ACTOR,
        details,
      },
      now,
      tx,
    );
    const line =
      `Binding ${binding.id} for order ${binding.outId} (${maskPhone(binding.phoneA)} / ` +
      `${maskPhone(binding.phoneB)} on ${maskPhone(binding.phoneX)}) reconciled from ` +
      `${binding.state} to ${decision.kind === 'held' ? 'held (unknown)' : decision.kind}`;
    if (decision.kind === 'active' || decision.kind === 'expired') this.logger.log(line);
    else this.logger.warn(`${line}: ${decision.reason}`);
    return decision;
  }

  private async decide(binding: Binding, budgetMs: number): Promise<Decision> {
    const now = this.clock.now();
    const approach = approachFor(binding, now);
    const options = { signal: AbortSignal.timeout(budgetMs) };
    // One budget for every call made for this binding (findOnX may ask about each SubsId on X).
    setMaxListeners(250, options.signal);
    try {
      switch (approach) {
        case 'query': {
          const detail = await this.provider.querySubscriptionDetail(
            { poolKey: binding.poolKey, subsId: binding.subsId!, phoneX: binding.phoneX! },
            options,
          );
          return decideFromDetail({ detail });
        }
        case 'rebind': {
          const bound = await this.provider.bindAxb(
            {
              poolKey: binding.poolKey,
              phoneA: binding.phoneA,
              phoneB: binding.phoneB,
              expiresAt: binding.expiresAt,
              phoneX: binding.phoneX!,
              expectCity: binding.city ?? undefined,
              record: binding.record,
              outId: binding.outId,
            },
            options,
          );
          return decideFromRebind({ bound });
        }
        case 'wait-for-expiry':
          return { kind: 'deferred', reason: 'expires within a minute; the sweep ends it' };
      }
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (approach === 'query') return decideFromDetail({ error });
      const decision = decideFromRebind({ error });
      // BIND_CONFLICT: the first request took effect; QuerySubsId finds its SubsId on X.
      return decision.kind === 'held' ? this.findOnX(binding, decision, options) : decision;
    }
  }

  /**
   * The provider holds a binding of A or B on X that must be this order's (our unique indexes
   * rule out any other): list X's SubsIds and take the one whose A and B are ours. Not found, or
   * not askable now: the binding stays held until the next run or its expiry.
   */
  private async findOnX(
    binding: Binding,
    held: Decision,
    options: { signal: AbortSignal },
  ): Promise<Decision> {
    const ref = { poolKey: binding.poolKey, phoneX: binding.phoneX! };
    try {
      for (const subsId of await this.provider.querySubsIds(ref, options)) {
        const detail = await this.provider.querySubscriptionDetail({ ...ref, subsId }, options);
        if (detail.phoneA === binding.phoneA && detail.phoneB === binding.phoneB) {
          return decideFromDetail({ detail });
        }
      }
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
    }
    return held;
  }
}
