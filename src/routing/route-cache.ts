import type { BindingState } from '../generated/prisma/enums.js';
import type { Invalidation } from './cache-invalidation.js';
import type { Tally } from './routed-counts.writer.js';
import type { RoutingTarget } from './routing-target.js';

/** Which party of the binding is calling. */
export type PartyRole = 'A' | 'B';

/**
 * Refresh ahead: an entry (and a remembered answer) in use is read again in the background once
 * this share of its TTL has passed, so that a busy binding's lookups never wait for the read or
 * the provider when the TTL runs out, and entries stored together (a burst of calls) do not all
 * run out together: each one's point is drawn between the two shares.
 */
export const REFRESH_FROM = 0.75;
export const REFRESH_TO = 0.95;

/** When a value stored at `now` with `ttlMs` to live is due for its refresh ahead. */
export function refreshPoint(now: number, ttlMs: number, draw: () => number): number {
  return now + Math.floor(ttlMs * (REFRESH_FROM + (REFRESH_TO - REFRESH_FROM) * draw()));
}

/** A value's refresh ahead: due from `at`, claimed by one lookup only. */
class Refresh {
  private claimed = false;
  constructor(private readonly at: number) {}

  /** True once, for the first caller at or after the point (again after `release`). */
  claim(now: number): boolean {
    if (this.claimed || now < this.at) return false;
    this.claimed = true;
    return true;
  }

  /** The claimant could not refresh after all (too many refreshes waiting): the next may. */
  release(): void {
    this.claimed = false;
  }
}

/**
 * A binding as a lookup needs it (parties, state, X, SubsId, expiry, X's health), and the
 * provider's recent status-1 answers per caller. Entries that are no longer in the cache (dropped,
 * or never stored because a change raced the read) still serve the lookup that holds them; what
 * it remembers on them is simply never seen again.
 */
export class CachedTarget {
  /** Clock time (ms) until which the provider's "dial X" may be reused, per caller. */
  private answerA = 0;
  private answerB = 0;
  private answerRefreshA: Refresh | undefined;
  private answerRefreshB: Refresh | undefined;
  /** The provider's answer being asked for on a lookup's path, per caller (see `sharedAsk`). */
  private askingA: Promise<unknown> | undefined;
  private askingB: Promise<unknown> | undefined;
  /** The order key under which this entry is also found, if it was read by order. */
  orderKey: string | undefined;
  /**
   * The tally the cache hits of each caller were last counted on (RoutedCountsWriter.countAgain):
   * a hit counts on it without building its key. The binding's id never changes for an entry.
   */
  private hitTallyA: Tally | undefined;
  private hitTallyB: Tally | undefined;

  constructor(
    private current: RoutingTarget,
    /** Clock time (ms) after which the binding is read again even without a notification. */
    private until: number,
    /** The binding's refresh ahead (none for an entry that is not cached). */
    private refresh?: Refresh,
  ) {}

  get target(): RoutingTarget {
    return this.current;
  }

  get staleAt(): number {
    return this.until;
  }

  /**
   * A newer read of the same binding (nothing changed it since, or the entry would be gone): the
   * entry lives on with it, in place, so the answers remembered on it, and those its lookups in
   * flight are about to remember, stay with it.
   */
  renew(target: RoutingTarget, staleAt: number, refresh: Refresh): void {
    [this.current, this.until, this.refresh] = [target, staleAt, refresh];
  }

  hasAnswer(role: PartyRole, now: number): boolean {
    return (role === 'A' ? this.answerA : this.answerB) > now;
  }

  /** Reuses the provider's answer for `role` until `until`, to be asked again ahead from `refreshAt`. */
  rememberAnswer(role: PartyRole, until: number, refreshAt = until): void {
    const refresh = new Refresh(refreshAt);
    if (role === 'A') [this.answerA, this.answerRefreshA] = [until, refresh];
    else [this.answerB, this.answerRefreshB] = [until, refresh];
  }

  /** Stops reusing the answer for `role` (the provider's latest differs). */
  forgetAnswer(role: PartyRole): void {
    this.rememberAnswer(role, 0);
  }

  /** True once per stored entry, for the first lookup past its refresh point. */
  claimRefresh(now: number): boolean {
    return this.refresh?.claim(now) ?? false;
  }

  /** True once per remembered answer, for the first lookup past its refresh point. */
  claimAnswerRefresh(role: PartyRole, now: number): boolean {
    return (role === 'A' ? this.answerRefreshA : this.answerRefreshB)?.claim(now) ?? false;
  }

  /** Gives a claimed refresh back (it could not be queued): a later lookup claims it again. */
  releaseRefresh(): void {
    this.refresh?.release();
  }

  /**
   * One ask of the provider per caller at a time: a lookup that finds the answer missing while
   * another lookup of the same caller is already asking waits for that ask instead of sending its
   * own. Without it, the lookups of a busy caller arriving while the answer is missing (its TTL
   * ran out, the provider slow or timing out under load, so nothing was remembered) each asked:
   * at 1,000 lookups/s over a hundred callers, hundreds of asks at once where one each would do,
   * every one of them costing the process and the provider more as it fell further behind.
   * The ask is dropped once settled, so the next miss asks again.
   */
  sharedAsk<T>(role: PartyRole, ask: () => Promise<T>): Promise<T> {
    const running = (role === 'A' ? this.askingA : this.askingB) as Promise<T> | undefined;
    if (running) return running;
    const started = ask().finally(() => {
      if (role === 'A' && this.askingA === started) this.askingA = undefined;
      if (role === 'B' && this.askingB === started) this.askingB = undefined;
    });
    if (role === 'A') this.askingA = started;
    else this.askingB = started;
    return started;
  }

  hitTally(role: PartyRole): Tally | undefined {
    return role === 'A' ? this.hitTallyA : this.hitTallyB;
  }

  keepHitTally(role: PartyRole, tally: Tally | undefined): void {
    if (role === 'A') this.hitTallyA = tally;
    else this.hitTallyB = tally;
  }

  /** Gives a claimed answer refresh back, as `releaseRefresh`. */
  releaseAnswerRefresh(role: PartyRole): void {
    (role === 'A' ? this.answerRefreshA : this.answerRefreshB)?.release();
  }
}

/**
 * A database read begun at this invalidation sequence number; NO_TICKET when the cache was not in
 * use (nothing read then may be stored).
 */
export type ReadTicket = number;
export const NO_TICKET: ReadTicket = -1;

/**
 * Settled bindings only. A pending or unknown binding is read afresh by every lookup, so that
 * binding and settling (the bind path) need not notify anyone: the triggers skip them.
 */
const CACHEABLE: ReadonlySet<BindingState> = new Set(['active', 'unbound', 'expired', 'failed']);

/** Invalidated keys remembered for reads in flight beyond this many: those reads are refused. */
const MAX_RECENT = 50_000;

/**
 * Routing targets in memory, per instance, so that a lookup needs no database read. Bounded
 * (oldest first out); an entry lives until a notification drops it or ROUTING_CACHE_TTL_MS passes;
 * one in use is read again behind a lookup before then (refresh ahead, see REFRESH_FROM).
 *
 * Correctness rests on the invalidation stream (Postgres LISTEN/NOTIFY, sent by triggers in the
 * transaction of every change): the cache is usable only while the listener is connected and
 * listening (`resume`), and is emptied and bypassed whenever it is not (`suspend`).
 *
 * The race it guards: a lookup reads a binding, a change commits and its notification is
 * processed, then the lookup stores what it read — now stale. Every invalidation advances a
 * sequence number; a read takes a ticket (the number) before it starts, and its result is stored
 * only if nothing it depends on (the binding, the order it was looked up by, its X) was
 * invalidated after the ticket, and the cache was not emptied since.
 */
export class RouteCache {
  private usable = false;
  private seq = 0;
  /** Tickets below this are refused (the cache was emptied or suspended after they were taken). */
  private floor = 0;
  /** Reads begun and not yet stored or abandoned. */
  private reads = 0;
  /** Key → sequence number of its last invalidation, kept only while reads are in flight. */
  private readonly recent = new Map<string, number>();
  private readonly byId = new Map<string, CachedTarget>();
  private readonly byOrder = new Map<string, string>();
  private readonly byX = new Map<string, Set<string>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    /** Where in [REFRESH_FROM, REFRESH_TO) of the TTL each refresh falls: 0 ≤ draw() < 1. */
    private readonly draw: () => number = Math.random,
  ) {}

  /** Whether caching is configured at all (ROUTING_CACHE_TTL_MS > 0). */
  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Whether entries are served and stored now (the listener is caught up). */
  get active(): boolean {
    return this.usable;
  }

  get size(): number {
    return this.byId.size;
  }

  get answerTtlMs(): number {
    return this.ttlMs;
  }

  /** When an answer remembered now is due for its refresh ahead. */
  answerRefreshAt(now: number): number {
    return refreshPoint(now, this.ttlMs, this.draw);
  }

  /** Starts serving, from empty: nothing read before this point can be stored. */
  resume(): void {
    this.reset();
    this.usable = this.enabled;
  }

  /** Stops serving until `resume`: empties the cache and refuses every read in flight. */
  suspend(): void {
    this.usable = false;
    this.reset();
  }

  /** The cached binding, if the cache is in use and the entry is fresh. */
  find(bindingId: string, now: number): CachedTarget | undefined {
    if (!this.usable) return undefined;
    const entry = this.byId.get(bindingId);
    if (entry === undefined) return undefined;
    if (entry.staleAt > now) return entry;
    this.remove(entry);
    return undefined;
  }

  /** The active binding of an order, if cached (other orders are read afresh). */
  findOrder(poolKey: string, outId: string, now: number): CachedTarget | undefined {
    if (!this.usable) return undefined;
    const id = this.byOrder.get(orderKey(poolKey, outId));
    return id === undefined ? undefined : this.find(id, now);
  }

  /** Call before reading a binding from the database; pass the ticket to `store` or `abandon`. */
  beginRead(): ReadTicket {
    if (!this.usable) return NO_TICKET;
    this.reads += 1;
    return this.seq;
  }

  abandon(ticket: ReadTicket): void {
    if (ticket !== NO_TICKET) this.reads -= 1;
  }

  /**
   * Ends a read: caches the target unless the cache is out of use, was emptied, or the binding,
   * its order (when read by order) or its X was invalidated since the ticket. Returns the entry
   * to decide with, detached (not cached) when refused. A read of a binding still cached (a
   * refresh ahead, or two lookups that missed together) renews that entry in place.
   */
  store(
    ticket: ReadTicket,
    target: RoutingTarget,
    now: number,
    order?: { poolKey: string; outId: string },
  ): CachedTarget {
    if (ticket === NO_TICKET) return new CachedTarget(target, now + this.ttlMs);
    this.reads -= 1;
    // An order is mapped only to its active binding: while it lives no other binding of the order
    // can be inserted (a unique index), and its ending notifies its id. A new bind of an ended
    // order notifies nothing (see the migration), so an ended binding is never the mapping.
    const key =
      order && target.state === 'active' ? orderKey(order.poolKey, order.outId) : undefined;
    if (
      !this.usable ||
      !CACHEABLE.has(target.state) ||
      ticket < this.floor ||
      this.changedSince(ticket, `b${target.id}`) ||
      (key !== undefined && this.changedSince(ticket, `o${key}`)) ||
      (target.phoneX !== null && this.changedSince(ticket, `x${target.phoneX}`))
    ) {
      return new CachedTarget(target, now + this.ttlMs);
    }
    const refresh = new Refresh(refreshPoint(now, this.ttlMs, this.draw));
    const old = this.byId.get(target.id);
    if (old && old.staleAt > now) {
      old.renew(target, now + this.ttlMs, refresh);
      if (key !== undefined) this.mapOrder(old, key);
      return old;
    }
    if (old) this.remove(old);
    const entry = new CachedTarget(target, now + this.ttlMs, refresh);
    while (this.byId.size >= this.maxEntries) {
      this.remove(this.byId.values().next().value as CachedTarget);
    }
    this.byId.set(target.id, entry);
    if (target.phoneX !== null) {
      let ids = this.byX.get(target.phoneX);
      if (!ids) this.byX.set(target.phoneX, (ids = new Set()));
      ids.add(target.id);
    }
    if (key !== undefined) this.mapOrder(entry, key);
    return entry;
  }

  /** Applies a notification (or a change this instance made itself). */
  invalidate(change: Invalidation): void {
    this.seq += 1;
    if (change.kind === 'all') {
      this.reset();
      return;
    }
    const track = this.reads > 0;
    if (!track) this.recent.clear();
    for (const id of change.bindings) {
      const entry = this.byId.get(id);
      if (entry) this.remove(entry);
      if (track) this.recent.set(`b${id}`, this.seq);
    }
    for (const [poolKey, outId] of change.orders) {
      const key = orderKey(poolKey, outId);
      this.byOrder.delete(key);
      if (track) this.recent.set(`o${key}`, this.seq);
    }
    for (const number of change.numbers) {
      const ids = this.byX.get(number);
      if (ids) for (const id of [...ids]) this.remove(this.byId.get(id)!);
      if (track) this.recent.set(`x${number}`, this.seq);
    }
    if (this.recent.size > MAX_RECENT) {
      // Too much to remember: refuse the reads in flight instead.
      this.seq += 1;
      this.floor = this.seq;
      this.recent.clear();
    }
  }

  /** Drops a binding's entry (it changed or ended here). */
  dropBinding(bindingId: string): void {
    this.invalidate({ kind: 'keys', bindings: [bindingId], orders: [], numbers: [] });
  }

  /** Drops every entry on this X (reported abnormal); returns how many. */
  dropX(phoneX: string): number {
    const count = this.byX.get(phoneX)?.size ?? 0;
    this.invalidate({ kind: 'keys', bindings: [], orders: [], numbers: [phoneX] });
    return count;
  }

  private mapOrder(entry: CachedTarget, key: string): void {
    entry.orderKey = key;
    this.byOrder.set(key, entry.target.id);
  }

  private changedSince(ticket: ReadTicket, key: string): boolean {
    const at = this.recent.get(key);
    return at !== undefined && at > ticket;
  }

  private reset(): void {
    this.seq += 1;
    this.floor = this.seq;
    this.recent.clear();
    this.byId.clear();
    this.byOrder.clear();
    this.byX.clear();
  }

  private remove(entry: CachedTarget): void {
    const { id, phoneX } = entry.target;
    if (this.byId.get(id) !== entry) return;
    this.byId.delete(id);
    if (entry.orderKey !== undefined && this.byOrder.get(entry.orderKey) === id) {
      this.byOrder.delete(entry.orderKey);
    }
    if (phoneX !== null) {
      const ids = this.byX.get(phoneX);
      ids?.delete(id);
      if (ids?.size === 0) this.byX.delete(phoneX);
    }
  }
}

/** Pool key and outId cannot hold NUL (Postgres text), so this joins them unambiguously. */
function orderKey(poolKey: string, outId: string): string {
  return `${poolKey}\u0000${outId}`;
}
