import { describe, expect, it } from 'vitest';
import { INVALIDATE_ALL, parseInvalidation } from '../../src/routing/cache-invalidation.js';
import { NO_TICKET, RouteCache, refreshPoint } from '../../src/routing/route-cache.js';
import type { RoutingTarget } from '../../src/routing/routing-target.js';

const target = (id: string, phoneX: string | null = 'x1'): RoutingTarget => ({
  id,
  poolKey: 'FC1',
  state: 'active',
  phoneA: '13800000001',
  phoneB: '13900000001',
  phoneX,
  subsId: '1',
  expiresAt: new Date(10_000_000),
  xHealth: 'normal',
  xHealthSource: null,
  xLocked: false,
  callRestrict: null,
  blacklist: [],
});

const keys = (change: {
  bindings?: string[];
  orders?: [string, string][];
  numbers?: string[];
}) => ({
  kind: 'keys' as const,
  bindings: change.bindings ?? [],
  orders: change.orders ?? [],
  numbers: change.numbers ?? [],
});

/** A cache in use, with `ids` read and stored at time 0. */
function cacheWith(ttlMs: number, max: number, ...ids: string[]): RouteCache {
  const cache = new RouteCache(ttlMs, max, () => 0);
  cache.resume();
  for (const id of ids) cache.store(cache.beginRead(), target(id), 0);
  return cache;
}

describe('RouteCache', () => {
  it('serves a stored binding by id until its TTL, and per caller the answers remembered', () => {
    const cache = cacheWith(1_000, 10, 'b1');
    const entry = cache.find('b1', 999)!;
    expect(entry.target.id).toBe('b1');
    expect(entry.hasAnswer('A', 999)).toBe(false);
    entry.rememberAnswer('A', 1_500);
    expect(cache.find('b1', 999)!.hasAnswer('A', 999)).toBe(true);
    expect(cache.find('b1', 999)!.hasAnswer('B', 999)).toBe(false);
    expect(cache.find('b1', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps the entry (and its answers) when a concurrent read of the same binding stores too', () => {
    const cache = cacheWith(1_000, 10);
    const first = cache.beginRead();
    const second = cache.beginRead();
    cache.store(first, target('b1'), 0).rememberAnswer('A', 500);
    const kept = cache.store(second, target('b1'), 1, { poolKey: 'FC1', outId: 'o1' });
    expect(kept.hasAnswer('A', 1)).toBe(true);
    expect(cache.findOrder('FC1', 'o1', 1)).toBe(kept);
  });

  it('finds a binding read by order under that order, until the binding or the order changes', () => {
    const cache = cacheWith(1_000, 10);
    cache.store(cache.beginRead(), target('b1'), 0, { poolKey: 'FC1', outId: 'o1' });
    expect(cache.findOrder('FC1', 'o1', 1)!.target.id).toBe('b1');
    expect(cache.findOrder('FC1', 'o2', 1)).toBeUndefined();
    // A new bind for the order: lookups by order read again, the binding itself stays cached.
    cache.invalidate(keys({ orders: [['FC1', 'o1']] }));
    expect(cache.findOrder('FC1', 'o1', 1)).toBeUndefined();
    expect(cache.find('b1', 1)).toBeDefined();
    cache.store(cache.beginRead(), target('b1'), 0, { poolKey: 'FC1', outId: 'o1' });
    cache.invalidate(keys({ bindings: ['b1'] }));
    expect(cache.findOrder('FC1', 'o1', 1)).toBeUndefined();
    expect(cache.find('b1', 1)).toBeUndefined();
  });

  it('holds settled bindings only: a pending or unknown one is read by every lookup', () => {
    const cache = cacheWith(1_000, 10);
    for (const state of ['pending', 'unknown'] as const) {
      cache.store(cache.beginRead(), { ...target('b1'), state }, 0);
      expect(cache.find('b1', 1)).toBeUndefined();
    }
    for (const state of ['active', 'unbound', 'expired', 'failed'] as const) {
      cache.store(cache.beginRead(), { ...target(state), state }, 0);
      expect(cache.find(state, 1)!.target.state).toBe(state);
    }
  });

  it('maps an order only to its active binding (a new bind of an ended order notifies nothing)', () => {
    const cache = cacheWith(1_000, 10);
    const ended = { ...target('b1'), state: 'unbound' as const };
    cache.store(cache.beginRead(), ended, 0, { poolKey: 'FC1', outId: 'o1' });
    expect(cache.findOrder('FC1', 'o1', 1)).toBeUndefined();
    expect(cache.find('b1', 1)!.target.state).toBe('unbound');
  });

  it('drops entries by binding, by X, and everything', () => {
    const cache = cacheWith(1_000, 10, 'b1', 'b2');
    cache.store(cache.beginRead(), target('b3', 'x2'), 0);
    cache.invalidate(keys({ bindings: ['b1'] }));
    expect(cache.size).toBe(2);
    expect(cache.dropX('x1')).toBe(1);
    expect(cache.find('b2', 1)).toBeUndefined();
    expect(cache.find('b3', 1)).toBeDefined();
    cache.invalidate(INVALIDATE_ALL);
    expect(cache.size).toBe(0);
  });

  it('refuses to store a read that a change to its binding, order or X overtook', () => {
    const cache = cacheWith(1_000, 10);
    // The read starts, the change is heard, then the read tries to store what it saw.
    let ticket = cache.beginRead();
    cache.invalidate(keys({ bindings: ['b1'] }));
    const detached = cache.store(ticket, target('b1'), 0);
    expect(detached.target.id).toBe('b1');
    expect(cache.find('b1', 1)).toBeUndefined();

    ticket = cache.beginRead();
    cache.invalidate(keys({ numbers: ['x1'] }));
    cache.store(ticket, target('b1'), 0);
    expect(cache.find('b1', 1)).toBeUndefined();

    ticket = cache.beginRead();
    cache.invalidate(keys({ orders: [['FC1', 'o1']] }));
    cache.store(ticket, target('b1'), 0, { poolKey: 'FC1', outId: 'o1' });
    expect(cache.findOrder('FC1', 'o1', 1)).toBeUndefined();

    // Changes to other keys, or heard before the read began, do not refuse it.
    cache.invalidate(keys({ bindings: ['b1'] }));
    ticket = cache.beginRead();
    cache.invalidate(keys({ bindings: ['b2'], numbers: ['x9'], orders: [['FC1', 'o9']] }));
    cache.store(ticket, target('b1'), 0);
    expect(cache.find('b1', 1)).toBeDefined();
  });

  it('refuses reads in flight when it is emptied, suspended, or has too much to remember', () => {
    const cache = cacheWith(1_000, 10);
    let ticket = cache.beginRead();
    cache.invalidate(INVALIDATE_ALL);
    cache.store(ticket, target('b1'), 0);
    expect(cache.find('b1', 1)).toBeUndefined();

    ticket = cache.beginRead();
    cache.invalidate(keys({ bindings: Array.from({ length: 50_001 }, (_, i) => `other-${i}`) }));
    cache.store(ticket, target('b1'), 0);
    expect(cache.find('b1', 1)).toBeUndefined();
    // A read begun afterwards is stored as usual.
    cache.store(cache.beginRead(), target('b1'), 0);
    expect(cache.find('b1', 1)).toBeDefined();

    ticket = cache.beginRead();
    cache.suspend();
    expect(cache.find('b1', 1)).toBeUndefined();
    cache.resume();
    cache.store(ticket, target('b1'), 0);
    expect(cache.find('b1', 1)).toBeUndefined();
  });

  it('serves and stores nothing while suspended, or with a zero TTL', () => {
    const cache = cacheWith(1_000, 10, 'b1');
    cache.suspend();
    expect(cache.active).toBe(false);
    expect(cache.find('b1', 1)).toBeUndefined();
    expect(cache.beginRead()).toBe(NO_TICKET);
    cache.store(NO_TICKET, target('b2'), 0);
    cache.resume();
    expect(cache.size).toBe(0);

    const off = cacheWith(0, 10, 'b1');
    expect(off.enabled).toBe(false);
    expect(off.active).toBe(false);
    expect(off.size).toBe(0);
  });

  it('stays within its bound, oldest out first', () => {
    const cache = cacheWith(1_000, 2, 'b1', 'b2', 'b3');
    expect(cache.size).toBe(2);
    expect(cache.find('b1', 1)).toBeUndefined();
    expect(cache.find('b3', 1)).toBeDefined();
    expect(cache.dropX('x1')).toBe(2);
  });
});

describe('invalidation payloads', () => {
  it('reads what the triggers send', () => {
    expect(parseInvalidation('{"b":["id1","id2"]}')).toEqual(keys({ bindings: ['id1', 'id2'] }));
    expect(parseInvalidation('{"o":[["FC1", "o\\"1"]]}')).toEqual(
      keys({ orders: [['FC1', 'o"1']] }),
    );
    expect(parseInvalidation('{"x":["13000000001"]}')).toEqual(keys({ numbers: ['13000000001'] }));
    expect(parseInvalidation('{"all":true}')).toEqual(INVALIDATE_ALL);
    expect(parseInvalidation('{"sync":"me:1"}')).toEqual({ kind: 'sync', token: 'me:1' });
  });

  it('drops everything on anything it does not understand', () => {
    for (const payload of [
      undefined,
      '',
      'not json',
      '[]',
      'null',
      '{"b":"id1"}',
      '{"b":[1]}',
      '{"o":[["only-pool"]]}',
      '{"y":["?"]}',
      '{"all":false}',
      '{"sync":1}',
      '{"sync":"me:1","b":[]}',
    ]) {
      expect(parseInvalidation(payload)).toEqual(INVALIDATE_ALL);
    }
  });

  it('is due for a refresh ahead between 75 % and 95 % of its TTL, claimed by one lookup', () => {
    for (const [draw, due] of [
      [0, 750],
      [0.5, 850],
      [0.999, 949],
    ] as const) {
      const cache = new RouteCache(1_000, 10, () => draw);
      cache.resume();
      const entry = cache.store(cache.beginRead(), target('b1'), 0);
      expect(entry.claimRefresh(due - 1)).toBe(false);
      expect(entry.claimRefresh(due)).toBe(true);
      expect(entry.claimRefresh(due + 1)).toBe(false);
      // Served until the TTL all the same.
      expect(cache.find('b1', 999)).toBe(entry);
    }
    expect(refreshPoint(0, 5_000, () => 0.5)).toBe(4_250);
  });

  it('a claimed refresh given back (not queued) is claimed again by a later lookup', () => {
    const cache = new RouteCache(1_000, 10, () => 0);
    cache.resume();
    const entry = cache.store(cache.beginRead(), target('b1'), 0);
    expect(entry.claimRefresh(750)).toBe(true);
    expect(entry.claimRefresh(760)).toBe(false);
    entry.releaseRefresh();
    expect(entry.claimRefresh(770)).toBe(true);
    entry.rememberAnswer('B', 1_000, 800);
    expect(entry.claimAnswerRefresh('B', 800)).toBe(true);
    entry.releaseAnswerRefresh('A');
    expect(entry.claimAnswerRefresh('B', 810)).toBe(false);
    entry.releaseAnswerRefresh('B');
    expect(entry.claimAnswerRefresh('B', 820)).toBe(true);
  });

  it('a refresh renews the entry in place: a new TTL, its answers and order mapping kept', () => {
    const cache = cacheWith(1_000, 10);
    const first = cache.store(cache.beginRead(), target('b1'), 0, { poolKey: 'FC1', outId: 'o1' });
    first.rememberAnswer('A', 1_000, 800);
    expect(first.claimRefresh(800)).toBe(true);
    // The refresh reads by id; a lookup by order meanwhile still finds the entry.
    const second = cache.store(cache.beginRead(), target('b1'), 800);
    expect(second).toBe(first);
    expect(second.staleAt).toBe(1_800);
    expect(second.hasAnswer('A', 900)).toBe(true);
    expect(second.claimAnswerRefresh('A', 900)).toBe(true);
    expect(cache.find('b1', 1_500)).toBe(second);
    expect(cache.findOrder('FC1', 'o1', 1_500)).toBe(second);
    // Its own refresh is due anew.
    expect(second.claimRefresh(1_549)).toBe(false);
    expect(second.claimRefresh(1_550)).toBe(true);
  });

  it('two lookups that missed together share one entry: what each remembers stays', () => {
    const cache = cacheWith(1_000, 10);
    const [a, b] = [cache.beginRead(), cache.beginRead()];
    const forA = cache.store(a, target('b1'), 0);
    const forB = cache.store(b, target('b1'), 1);
    forA.rememberAnswer('A', 1_000);
    forB.rememberAnswer('B', 1_000);
    const entry = cache.find('b1', 2)!;
    expect(entry.hasAnswer('A', 2) && entry.hasAnswer('B', 2)).toBe(true);
  });

  it('a refresh keeps no order mapping the order lost meanwhile, nor answers past their TTL', () => {
    const cache = cacheWith(1_000, 10);
    const first = cache.store(cache.beginRead(), target('b1'), 0, { poolKey: 'FC1', outId: 'o1' });
    first.rememberAnswer('B', 500, 400);
    cache.invalidate(keys({ orders: [['FC1', 'o1']] }));
    const second = cache.store(cache.beginRead(), target('b1'), 800);
    expect(cache.findOrder('FC1', 'o1', 900)).toBeUndefined();
    expect(second.hasAnswer('B', 800)).toBe(false);
  });

  it('an answer is due for its refresh once, and again once remembered anew; forgotten, not served', () => {
    const entry = cacheWith(1_000, 10, 'b1').find('b1', 0)!;
    expect(entry.claimAnswerRefresh('A', 0)).toBe(false);
    entry.rememberAnswer('A', 1_000, 750);
    expect(entry.claimAnswerRefresh('A', 749)).toBe(false);
    expect(entry.claimAnswerRefresh('B', 900)).toBe(false);
    expect(entry.claimAnswerRefresh('A', 750)).toBe(true);
    expect(entry.claimAnswerRefresh('A', 751)).toBe(false);
    entry.rememberAnswer('A', 2_000, 1_750);
    expect(entry.claimAnswerRefresh('A', 1_750)).toBe(true);
    entry.forgetAnswer('A');
    expect(entry.hasAnswer('A', 1_800)).toBe(false);
  });

  it('a read refused by a change since its ticket never refreshes the entry', () => {
    const cache = cacheWith(1_000, 10, 'b1');
    const ticket = cache.beginRead();
    cache.invalidate(keys({ bindings: ['b1'] }));
    const detached = cache.store(ticket, target('b1'), 800);
    expect(detached.claimRefresh(1_000)).toBe(false);
    expect(cache.find('b1', 800)).toBeUndefined();
  });
});
