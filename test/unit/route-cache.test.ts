import { describe, expect, it } from 'vitest';
import { RouteCache } from '../../src/routing/route-cache.js';

describe('RouteCache', () => {
  it('answers within the TTL for the same binding version and X only', () => {
    const cache = new RouteCache(1_000, 10);
    cache.set('b1', 'A', 7, '13000000001', 0);
    expect(cache.get('b1', 'A', 7, '13000000001', 999)).toBe('13000000001');
    expect(cache.get('b1', 'B', 7, '13000000001', 1)).toBeUndefined();
    expect(cache.get('b1', 'A', 8, '13000000001', 1)).toBeUndefined();
    // The stale version dropped the entry.
    expect(cache.get('b1', 'A', 7, '13000000001', 1)).toBeUndefined();
    cache.set('b1', 'A', 7, '13000000001', 0);
    expect(cache.get('b1', 'A', 7, '13000000001', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops entries by binding and by X', () => {
    const cache = new RouteCache(1_000, 10);
    cache.set('b1', 'A', 1, 'x1', 0);
    cache.set('b1', 'B', 1, 'x1', 0);
    cache.set('b2', 'A', 1, 'x1', 0);
    cache.set('b3', 'A', 1, 'x2', 0);
    cache.dropBinding('b1');
    expect(cache.size).toBe(2);
    expect(cache.dropX('x1')).toBe(1);
    expect(cache.get('b2', 'A', 1, 'x1', 1)).toBeUndefined();
    expect(cache.get('b3', 'A', 1, 'x2', 1)).toBe('x2');
    expect(cache.dropX('x1')).toBe(0);
  });

  it('stays within its bound, oldest out first, and caches nothing with a zero TTL', () => {
    const cache = new RouteCache(1_000, 2);
    cache.set('b1', 'A', 1, 'x', 0);
    cache.set('b2', 'A', 1, 'x', 0);
    cache.set('b3', 'A', 1, 'x', 0);
    expect(cache.size).toBe(2);
    expect(cache.get('b1', 'A', 1, 'x', 1)).toBeUndefined();
    expect(cache.get('b3', 'A', 1, 'x', 1)).toBe('x');
    expect(cache.dropX('x')).toBe(2);
    const off = new RouteCache(0, 2);
    off.set('b1', 'A', 1, 'x', 0);
    expect(off.size).toBe(0);
  });
});
