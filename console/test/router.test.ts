import { describe, expect, it } from 'vitest';
import { hrefFor, parseRoute } from '../src/router.js';

describe('hash routes', () => {
  it.each([
    ['', 'bindings'],
    ['#/', 'bindings'],
    ['#/bindings?phone=13800000001', 'bindings'],
    ['#/bindings/2b1f0c2e-0000-4000-8000-000000000001', 'binding'],
    ['#/inventory', 'inventory'],
    ['#/inventory/FC1', 'inventory'],
    ['#/operations', 'operations'],
    ['#/nonsense', 'bindings'],
  ])('%s is the %s page', (hash, page) => {
    expect(parseRoute(hash).page).toBe(page);
  });

  it('round-trips every route through its href', () => {
    const routes = [
      parseRoute('#/bindings?phone=13800000001&state=active'),
      parseRoute('#/bindings/abc'),
      parseRoute('#/inventory/FC%201'),
      parseRoute('#/inventory'),
      parseRoute('#/operations'),
    ];
    for (const route of routes) {
      expect(parseRoute(hrefFor(route))).toEqual(route);
    }
    const search = parseRoute('#/bindings?phone=13800000001&state=active');
    expect(search.page === 'bindings' && search.query.get('phone')).toBe('13800000001');
    expect(parseRoute('#/inventory/FC%201')).toEqual({ page: 'inventory', poolKey: 'FC 1' });
  });
});
