import { expect } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import type { RouteAnswer } from '../../src/routing/route-answer.js';
import { RouteCacheListener } from '../../src/routing/route-cache.listener.js';
import { RoutedCountsWriter } from '../../src/routing/routed-counts.writer.js';
import type { SimulatorOptions } from '../../simulator/server.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import type { RoutedCountView } from '../../src/bindings/routed-count.view.js';
import type { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

export type BindingDetail = BindingView & {
  events: Array<{ kind: string; actor: string; at: string; details: Record<string, unknown> }>;
  calls: Array<Record<string, unknown>>;
  routing: RoutedCountView[];
};

export interface RoutingFixture {
  sim: TestSimulator;
  t: TestApp;
  /** Numbers the service bought for the pool (X candidates). */
  numbers: string[];
  /** A fresh active binding with parties no other test uses (its notifications already heard). */
  bind(extra?: Record<string, unknown>): Promise<BindingView>;
  /** Until every change committed so far has reached the service's routing cache. */
  caughtUp(): Promise<void>;
  lookup(
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: RouteAnswer & Record<string, unknown> }>;
  /** The binding with its events and calls, routed events written first. */
  detail(id: string): Promise<BindingDetail>;
  queryCallStatusCalls(): Promise<number>;
  /** Polls `check` a bounded number of times, yielding to I/O between tries (no fixed sleeps). */
  eventually(check: () => Promise<boolean>, what: string, tries?: number): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** A simulator, the real service on its own database, and numbers bought for one pool. */
export async function startRoutingFixture(options: {
  pool: string;
  env?: Record<string, string>;
  clock?: TestClock;
  sim?: Partial<SimulatorOptions>;
  buy?: number;
  /** Consume the simulator's message queues (MNS) too. */
  mns?: boolean;
}): Promise<RoutingFixture> {
  const sim = await startTestSimulator({
    poolKeys: [options.pool],
    ownedPerCity: 0,
    callbackRetryDelaysMs: [20, 40],
    ...options.sim,
  });
  const t = await startTestApp(
    { ...sim.env, ...(options.mns ? sim.mnsEnv : {}), ...options.env },
    { clock: options.clock },
  );
  const bought = await http<{ bought: string[] }>(
    'POST',
    `${t.url}/v1/pools/${options.pool}/numbers`,
    { spec: 2, city: '杭州', count: options.buy ?? 2 },
  );
  expect(bought.status).toBe(201);
  const prefix = String((process.pid % 90) + 10);

  const fixture: RoutingFixture = {
    sim,
    t,
    numbers: bought.body.bought,
    async bind(extra = {}) {
      seq += 1;
      const n = String(seq).padStart(4, '0');
      const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
        outId: `route-${Date.now()}-${seq}`,
        phoneA: `138${prefix}00${n}`,
        phoneB: `139${prefix}00${n}`,
        ttlSeconds: 3600,
        ...extra,
      });
      expect(res.status).toBe(201);
      expect(res.body.state).toBe('active');
      await fixture.caughtUp();
      return res.body;
    },
    async caughtUp() {
      const listener = t.app.get(RouteCacheListener);
      if (listener.listening) await listener.caughtUp();
    },
    lookup: (body) => http('POST', `${t.url}/v1/routing/lookup`, body),
    async detail(id) {
      await t.app.get(RoutedCountsWriter).flush();
      const res = await http<BindingDetail>('GET', `${t.url}/v1/bindings/${id}`);
      expect(res.status).toBe(200);
      return res.body;
    },
    queryCallStatusCalls: () => sim.calls('QueryCallStatus'),
    async eventually(check, what, tries = 500) {
      for (let i = 0; i < tries; i += 1) {
        if (await check()) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error(`gave up waiting for ${what} after ${tries} tries`);
    },
    async close() {
      await t?.close();
      await sim?.close();
    },
  };
  return fixture;
}

/** The routed events of a binding, oldest first. */
export function routedEvents(detail: BindingDetail) {
  return detail.events.filter((e) => e.kind === 'routed');
}
