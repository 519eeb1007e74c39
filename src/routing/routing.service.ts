import { MetricsService, type RoutingTally } from '../metrics/metrics.service.js';
import { Inject, Injectable } from '@nestjs/common';
import { LIVE_STATES } from '../bindings/binding-states.js';
import { BindingExpiryRepository } from '../bindings/binding-expiry.repository.js';
import { Clock } from '../common/clock/clock.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CallStatusGateway } from './call-status.gateway.js';
import { RouteCache, type CachedTarget, type PartyRole } from './route-cache.js';
import { RouteForbiddenError } from './route-forbidden.error.js';
import { RouteRefusedError } from './route-refused.error.js';
import { RefreshQueue } from './refresh-queue.js';
import {
  answerFromProvider,
  answerLocally,
  cachedAnswer,
  expiredAnswer,
  outcomeOf,
  type RouteAnswer,
} from './route-answer.js';
import { refusalFor, roleOf, type RoutingTarget } from './routing-target.js';
import { RoutingTargetRepository } from './routing-target.repository.js';
import { RoutedCountsWriter, type RoutedCaller } from './routed-counts.writer.js';
import { RoutingAccessWriter } from './routing-access.writer.js';

/** The binding is named by id, or by order (outId within a pool). */
export type BindingRef = { bindingId: string } | { poolKey: string; outId: string };

const ACTOR_ROUTING = 'routing';
/** Keys no binding has (ids are random v4 UUIDs; an order id is never empty). */
const NO_BINDING_ID = '00000000-0000-0000-0000-000000000000';
const NO_OUT_ID = '';

/**
 * Decides, at call time, what a party of a binding should dial (invariant 4: only A or B of a live
 * binding get a number). The binding comes from the route cache when it holds it (no database
 * read: the cache is kept in step by LISTEN/NOTIFY, see RouteCacheListener), else from one indexed
 * read. The provider's QueryCallStatus answers when it can, within the time budget; its recent
 * status-1 answers are reused (and, like the cached binding, refreshed ahead in the background
 * while in use); otherwise the decision is local. Every decision about a known
 * binding, refusals included, is counted per binding, caller and outcome off the answer's path
 * (RoutedCountsWriter: a map update here; the first of each kind is also a `routed` event).
 * An answer handing over the other party's real number is also noted for access_log
 * (RoutingAccessWriter: a list append here).
 */
@Injectable()
export class RoutingService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly cache: RouteCache,
    private readonly targets: RoutingTargetRepository,
    private readonly expiry: BindingExpiryRepository,
    private readonly callStatus: CallStatusGateway,
    private readonly counts: RoutedCountsWriter,
    private readonly access: RoutingAccessWriter,
    private readonly metrics: MetricsService,
    private readonly refreshes: RefreshQueue,
  ) {}

  /** The metric's tally of cache hits (status 1, source cache), found on the first. */
  private hitDecisions: RoutingTally | undefined;

  async lookup(ref: BindingRef, callerNo: string, ctx: RequestContext): Promise<RouteAnswer> {
    const now = this.clock.now();
    const cached = this.cached(ref, now.getTime());
    if (cached?.claimRefresh(now.getTime())) this.refreshAhead(ref, cached);
    const entry = cached ?? (await this.read(ref));
    if (!entry) throw new RouteForbiddenError();
    const target = entry.target;
    const role = roleOf(target, callerNo);
    if (!role) {
      // A stranger learns nothing, not even from the time the refusal takes: an unknown binding
      // costs a read of the database, so a cached one is refused only after the same read.
      if (cached) await this.readAsUnknown(ref);
      this.refuse(target, 'other', callerNo, 'not-a-party', ctx);
    }
    // A live binding's party whose calls the provider stops (restriction, blacklist, locked X):
    // refused with the reason, before the provider is asked (invariant 8).
    if (target.state === 'active' && target.expiresAt > now) {
      const refusal = refusalFor(target, role);
      if (refusal)
        this.refuse(target, role, callerNo, refusal, ctx, new RouteRefusedError(refusal));
    }

    const answer = await this.decide(entry, role, now, ctx);
    if (answer === undefined) this.refuse(target, role, callerNo, `binding-${target.state}`, ctx);
    this.record(target, role, callerNo, answer, ctx);
    return answer;
  }

  /**
   * The lookup's answer when the cache gives it outright, with no wait: a party of a cached
   * active binding, not overdue, not refused, X not abnormal, the provider's "dial X" for this
   * caller remembered. It is counted and its refreshes claimed as `lookup` does. Anything else
   * is undefined, with nothing done: `lookup` then takes the lookup the whole way.
   */
  lookupCached(ref: BindingRef, callerNo: string, ctx: RequestContext): RouteAnswer | undefined {
    const at = this.clock.nowMs();
    const entry = this.cached(ref, at);
    if (entry === undefined) return undefined;
    const target = entry.target;
    const role = roleOf(target, callerNo);
    if (
      role === undefined ||
      target.state !== 'active' ||
      target.expiresAt.getTime() <= at ||
      target.xHealth === 'abnormal' ||
      !entry.hasAnswer(role, at) ||
      refusalFor(target, role) !== undefined
    )
      return undefined;
    if (entry.claimRefresh(at)) this.refreshAhead(ref, entry);
    if (entry.claimAnswerRefresh(role, at)) this.refreshAnswer(entry, role, ctx);
    const answer = cachedAnswer(target);
    this.recordHit(entry, role, callerNo, answer, ctx, at);
    return answer;
  }

  /**
   * What `record` does for a cache hit (status 1: nothing for access_log), on tallies kept from
   * the last hit (the metric's, the entry's per caller) instead of finding them by key.
   */
  private recordHit(
    entry: CachedTarget,
    role: PartyRole,
    callerNo: string,
    answer: RouteAnswer,
    ctx: RequestContext,
    at: number,
  ): void {
    (this.hitDecisions ??= this.metrics.routingTally(answer.status, answer.source)).count += 1;
    if (this.counts.countAgain(entry.hitTally(role), at)) return;
    const tally = this.counts.count({
      bindingId: entry.target.id,
      caller: role,
      outcome: outcomeOf(answer),
      at: new Date(at),
      actor: ctx.actor,
      details: () => this.answerDetails(answer, role, callerNo, ctx),
    });
    entry.keepHitTally(role, tally);
  }

  /** Drops cached answers dialling X (reported abnormal). */
  forgetX(phoneX: string): number {
    return this.cache.dropX(phoneX);
  }

  private cached(ref: BindingRef, now: number): CachedTarget | undefined {
    return 'bindingId' in ref
      ? this.cache.find(ref.bindingId, now)
      : this.cache.findOrder(ref.poolKey, ref.outId, now);
  }

  /** One indexed read; the result is cached unless a change to it was heard meanwhile. */
  private async read(ref: BindingRef): Promise<CachedTarget | undefined> {
    const ticket = this.cache.beginRead();
    let target: RoutingTarget | undefined;
    try {
      target =
        'bindingId' in ref
          ? await this.targets.byId(ref.bindingId)
          : await this.targets.byOutId(ref.poolKey, ref.outId);
    } finally {
      if (!target) this.cache.abandon(ticket);
    }
    if (!target) return undefined;
    const order = 'bindingId' in ref ? undefined : ref;
    return this.cache.store(ticket, target, this.clock.now().getTime(), order);
  }

  /**
   * Reads a cached binding again in the background (its refresh point passed, see RouteCache):
   * the lookup that noticed answers from the entry it holds; the read starts later, off its path
   * and bounded (RefreshQueue). A failed read leaves the entry to run out at its TTL, when a
   * lookup reads it on its own path as before; one the queue refuses is claimed again later.
   */
  private refreshAhead(ref: BindingRef, entry: CachedTarget): void {
    if (!this.refreshes.offer(() => this.read(ref))) entry.releaseRefresh();
  }

  /**
   * The provider's answer for a caller, asked again in the background while the remembered one
   * is still served. Status 1 again: reused for another TTL. Anything else: forgotten, so the
   * next lookup asks on its own path and acts on it (an expired binding ends, a broken X is
   * routed around). No answer (timeout, breaker open): kept until its TTL, as before. Applied
   * only to the entry it was asked for, if that is still the cached one: a binding changed
   * meanwhile (a new X, say) was dropped and read into a new entry, which the answer is not about.
   * Asked off the lookup's path and bounded, as refreshAhead; not asked at all if the entry is
   * gone by its turn.
   */
  private refreshAnswer(entry: CachedTarget, role: PartyRole, ctx: RequestContext): void {
    const offered = this.refreshes.offer(() => this.askAgain(entry, role, ctx.requestId));
    if (!offered) entry.releaseAnswerRefresh(role);
  }

  private askAgain(entry: CachedTarget, role: PartyRole, requestId: string): Promise<void> {
    const asked = entry.target;
    if (this.cache.find(asked.id, this.clock.now().getTime()) !== entry) return Promise.resolve();
    return this.callStatus
      .query(
        { poolKey: asked.poolKey, subsId: asked.subsId!, callerNo: partyNumber(asked, role) },
        requestId,
      )
      .then(
        (outcome) => {
          const now = this.clock.now().getTime();
          if (!outcome.ok || this.cache.find(asked.id, now) !== entry) return;
          const target = entry.target;
          const answer = answerFromProvider(
            target,
            role,
            outcome.result,
            this.config.routing.fallback,
          );
          if (answer.status === 1 && target.xHealth !== 'abnormal') {
            entry.rememberAnswer(
              role,
              now + this.cache.answerTtlMs,
              this.cache.answerRefreshAt(now),
            );
          } else {
            entry.forgetAnswer(role);
          }
        },
        () => undefined,
      );
  }

  /**
   * The read a lookup of an unknown binding makes: the same statement, through the same cache
   * bookkeeping, for a key no binding has, so the database does what it does for an unknown one
   * (an index probe that finds nothing; reading the binding itself would cost the transfer of
   * its row on top). The cached entry stays as it is: strangers cannot wear out what the
   * parties' lookups remembered.
   */
  private async readAsUnknown(ref: BindingRef): Promise<void> {
    const ticket = this.cache.beginRead();
    try {
      if ('bindingId' in ref) await this.targets.byId(NO_BINDING_ID);
      else await this.targets.byOutId(ref.poolKey, NO_OUT_ID);
    } finally {
      this.cache.abandon(ticket);
    }
  }

  /** The answer for a party, or undefined when the binding cannot route (not settled, failed). */
  private async decide(
    entry: CachedTarget,
    role: PartyRole,
    now: Date,
    ctx: RequestContext,
  ): Promise<RouteAnswer | undefined> {
    const target = entry.target;
    if (target.state === 'expired' || target.state === 'unbound') {
      return expiredAnswer(target, 'local', target.state);
    }
    if (LIVE_STATES.includes(target.state) && target.expiresAt <= now) {
      // Overdue and not yet swept: it ends now, here, with its event.
      await this.expiry.expire(target.id, { now, actor: ACTOR_ROUTING, onlyIfOverdue: true });
      this.cache.dropBinding(target.id);
      return expiredAnswer(target, 'local');
    }
    if (target.state !== 'active') return undefined;

    const healthy = target.xHealth !== 'abnormal';
    if (healthy && entry.hasAnswer(role, now.getTime())) {
      if (entry.claimAnswerRefresh(role, now.getTime())) this.refreshAnswer(entry, role, ctx);
      return cachedAnswer(target);
    }

    // Lookups of the same caller missing the answer together share one ask (and what it does).
    return entry.sharedAsk(role, () => this.askProvider(entry, role, ctx.requestId));
  }

  /** Asks the provider on the lookup's path and acts on its answer (remembers it, or ends). */
  private async askProvider(
    entry: CachedTarget,
    role: PartyRole,
    requestId: string,
  ): Promise<RouteAnswer> {
    const target = entry.target;
    const healthy = target.xHealth !== 'abnormal';
    const outcome = await this.callStatus.query(
      { poolKey: target.poolKey, subsId: target.subsId!, callerNo: partyNumber(target, role) },
      requestId,
    );
    const fallback = this.config.routing.fallback;
    if (!outcome.ok) return answerLocally(target, role, outcome.cause, fallback);

    const answer = answerFromProvider(target, role, outcome.result, fallback);
    if (answer.status === 1 && healthy) {
      const at = this.clock.now().getTime();
      entry.rememberAnswer(role, at + this.cache.answerTtlMs, this.cache.answerRefreshAt(at));
    } else if (answer.status === 4) {
      await this.expiry.expire(target.id, {
        now: this.clock.now(),
        actor: ACTOR_ROUTING,
        details: { reason: 'provider reported the binding expired' },
        onlyIfOverdue: false,
      });
      this.cache.dropBinding(target.id);
    }
    return answer;
  }

  private refuse(
    target: RoutingTarget,
    caller: RoutedCaller,
    callerNo: string,
    reason: string,
    ctx: RequestContext,
    error: Error = new RouteForbiddenError(),
  ): never {
    this.counts.count({
      bindingId: target.id,
      caller,
      outcome: `refused/${reason}`,
      at: this.clock.now(),
      actor: ctx.actor,
      details: () => ({
        refused: true,
        reason,
        callerNo: maskPhone(callerNo),
        requestId: ctx.requestId,
      }),
    });
    throw error;
  }

  private record(
    target: RoutingTarget,
    role: PartyRole,
    callerNo: string,
    answer: RouteAnswer,
    ctx: RequestContext,
  ): void {
    const at = this.clock.now();
    this.metrics.observeRouting(answer.status, answer.source);
    // The other party's real number (the fallback) is recorded like a reveal (issue 27), off
    // the answer's path: see RoutingAccessWriter. Answers dialling X record nothing.
    if (answer.status === 3 && answer.dial !== null) {
      this.access.record({
        actor: ctx.actor,
        bindingId: target.id,
        requestId: ctx.requestId,
        at,
      });
    }
    this.counts.count({
      bindingId: target.id,
      caller: role,
      outcome: outcomeOf(answer),
      at,
      actor: ctx.actor,
      details: () => this.answerDetails(answer, role, callerNo, ctx),
    });
  }

  /** The details of an answer's `routed` event (the first of its kind), numbers masked. */
  private answerDetails(
    answer: RouteAnswer,
    role: PartyRole,
    callerNo: string,
    ctx: RequestContext,
  ): Record<string, unknown> {
    return {
      status: answer.status,
      source: answer.source,
      reason: answer.reason,
      caller: role,
      callerNo: maskPhone(callerNo),
      // X is the binding's own number; only other targets are worth noting (masked).
      ...(answer.status === 1 ? {} : { dial: answer.dial && maskPhone(answer.dial) }),
      requestId: ctx.requestId,
    };
  }
}

function partyNumber(target: RoutingTarget, role: PartyRole): string {
  return role === 'A' ? target.phoneA : target.phoneB;
}
