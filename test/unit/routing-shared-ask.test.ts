import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config/app-config.js';
import type { CallStatusOutcome } from '../../src/routing/call-status.gateway.js';
import { RouteCache } from '../../src/routing/route-cache.js';
import type { RoutedDecision } from '../../src/routing/routed-counts.writer.js';
import type { RoutingTarget } from '../../src/routing/routing-target.js';
import { RoutingService } from '../../src/routing/routing.service.js';
import { TestClock } from '../support/test-clock.js';

const target: RoutingTarget = {
  id: 'b1',
  poolKey: 'FC1',
  state: 'active',
  phoneA: '13800000001',
  phoneB: '13900000001',
  phoneX: '17000000001',
  subsId: '1',
  expiresAt: new Date(Date.now() + 3_600_000),
  xHealth: 'normal',
  xHealthSource: null,
  xLocked: false,
  callRestrict: null,
  blacklist: [],
};

/** A provider whose answers the test hands out, one per ask, when it chooses. */
class HeldProvider {
  asks: Array<(outcome: CallStatusOutcome) => void> = [];
  query(): Promise<CallStatusOutcome> {
    return new Promise((resolve) => this.asks.push(resolve));
  }
}

const dialX: CallStatusOutcome = { ok: true, result: { status: 1, calledNo: null } };

/** The service over a cache holding the binding (no answer remembered yet), with fakes around. */
function service() {
  const clock = new TestClock();
  const cache = new RouteCache(600_000, 100);
  cache.resume();
  cache.store(cache.beginRead(), target, clock.now().getTime());
  const provider = new HeldProvider();
  const counted: RoutedDecision[] = [];
  const config = { routing: { fallback: 'real-number' } } as unknown as AppConfig;
  const routing = new RoutingService(
    config,
    clock,
    cache,
    {} as never, // targets: the binding is cached, never read
    {} as never, // expiry: nothing ends here
    provider as never,
    { count: (d: RoutedDecision) => counted.push(d) } as never,
    { record: () => undefined } as never,
    { observeRouting: () => undefined } as never,
    { offer: () => true } as never,
  );
  const lookup = (callerNo: string, n: number) =>
    routing.lookup({ bindingId: 'b1' }, callerNo, {
      actor: 'test',
      requestId: `r${n}`,
      scope: {} as never,
    });
  return { provider, counted, lookup, cache, clock };
}

describe('lookups of one caller missing the answer together', () => {
  it('share one ask of the provider, each answered and counted', async () => {
    const { provider, counted, lookup } = service();
    const answers = Array.from({ length: 10 }, (_, i) => lookup(target.phoneA, i));
    await Promise.resolve();
    expect(provider.asks).toHaveLength(1);
    provider.asks[0]!(dialX);
    const all = await Promise.all(answers);
    for (const answer of all)
      expect(answer).toMatchObject({ source: 'provider', dial: target.phoneX });
    expect(counted).toHaveLength(10);
    // Remembered: the next lookup is answered from the cache, nothing asked.
    expect(await lookup(target.phoneA, 10)).toMatchObject({ source: 'cache' });
    expect(provider.asks).toHaveLength(1);
  });

  it('share per caller: the other party asks on its own', async () => {
    const { provider, lookup } = service();
    const a = lookup(target.phoneA, 1);
    const b = lookup(target.phoneB, 2);
    await Promise.resolve();
    expect(provider.asks).toHaveLength(2);
    for (const answer of provider.asks) answer(dialX);
    await Promise.all([a, b]);
  });

  it('ask again once the shared ask settled without an answer to keep', async () => {
    const { provider, lookup } = service();
    const first = [lookup(target.phoneA, 1), lookup(target.phoneA, 2)];
    await Promise.resolve();
    provider.asks[0]!({ ok: false, cause: 'budget-exceeded' });
    for (const answer of await Promise.all(first)) expect(answer.source).toBe('local');
    // Nothing remembered from a local decision: the next miss asks the provider again.
    const again = lookup(target.phoneA, 3);
    await Promise.resolve();
    expect(provider.asks).toHaveLength(2);
    provider.asks[1]!(dialX);
    expect(await again).toMatchObject({ source: 'provider' });
  });
});
