import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { CallStatusGateway } from '../../src/routing/call-status.gateway.js';
import { TestClock } from '../support/test-clock.js';
import { http } from '../support/test-app.js';
import { HEALTH_PUSH_ON } from '../support/test-keys.js';
import { routedEvents, startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

const POOL = 'FCROUTEFAULTS';
const BUDGET_MS = 150;
const COOLDOWN_MS = 10_000;
const RECHECK_MS = 60_000;
const clock = new TestClock();
let f: RoutingFixture;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    env: {
      ROUTING_BUDGET_MS: String(BUDGET_MS),
      // Every lookup asks the provider, so each test sees its faults.
      ROUTING_CACHE_TTL_MS: '0',
      ROUTING_BREAKER_FAILURES: '2',
      ROUTING_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      ROUTING_REFUSED_RECHECK_MS: String(RECHECK_MS),
      ...HEALTH_PUSH_ON,
    },
  });
});
afterEach(async () => {
  await f.sim.control('DELETE', '/faults');
  await f.sim.control('POST', '/private-actions', { queryCallStatus: 'allowed' });
  // Whatever a test left open or remembered has run out for the next one.
  clock.advance(RECHECK_MS + COOLDOWN_MS);
  const b = await f.bind();
  await f.lookup({ bindingId: b.id, callerNo: b.phoneA });
  expect(breaker()).toBe('closed');
});
afterAll(async () => {
  await f?.close();
});

const breaker = () => f.t.app.get(CallStatusGateway).breakerState;
const byId = (id: string, callerNo: string) => f.lookup({ bindingId: id, callerNo });
const fault = (body: object) =>
  f.sim.control('POST', '/faults', { action: 'QueryCallStatus', ...body });
/** A health report pushed over HTTP (origin unproven). */
const report = (secretNo: string, noStatus: 0 | 1) =>
  http('POST', `${f.t.url}/v1/callbacks/number-health`, [
    { secretNo, noStatus, timestamp: clock.now().getTime() },
  ]);
/**
 * X's health as the message queue's report leaves it (origin proven), written to the inventory
 * directly: the queue itself is exercised in message-consumer and number-health-sources.
 */
const queued = async (secretNo: string, health: 'normal' | 'abnormal') => {
  await f.t.app.get(PrismaService).$executeRaw(Prisma.sql`
    UPDATE secret_numbers SET health = ${health}::number_health, health_source = 'queue',
           health_at = ${clock.now()}
     WHERE number = ${secretNo} AND state <> 'released'`);
  await f.caughtUp();
};

describe('QueryCallStatus refused (a private action not granted to the account)', () => {
  it('decides locally, remembers the refusal, and asks again only after a while', async () => {
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const b = await f.bind();
    const res = await byId(b.id, b.phoneA);
    expect(res.body).toMatchObject({
      action: 'dial',
      dial: b.phoneX,
      status: 1,
      source: 'local',
      reason: 'provider-refused; x-healthy',
    });
    const calls = await f.queryCallStatusCalls();
    for (let i = 0; i < 3; i += 1) {
      expect((await byId(b.id, b.phoneB)).body).toMatchObject({ source: 'local', status: 1 });
    }
    expect(await f.queryCallStatusCalls()).toBe(calls);

    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'allowed' });
    clock.advance(RECHECK_MS);
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({ source: 'provider', status: 1 });
    expect(await f.queryCallStatusCalls()).toBe(calls + 1);
  });

  it('falls back to the real number when the queue says X is abnormal, and never gives one to a stranger', async () => {
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const b = await f.bind();
    await queued(b.phoneX!, 'abnormal');
    try {
      const fromA = await byId(b.id, b.phoneA);
      expect(fromA.body).toMatchObject({
        action: 'dial',
        dial: b.phoneB,
        status: 3,
        source: 'local',
        reason: 'provider-refused; x-abnormal',
      });
      expect((await byId(b.id, b.phoneB)).body).toMatchObject({ dial: b.phoneA, status: 3 });
      expect((await byId(b.id, '13712345678')).status).toBe(403);
      const events = routedEvents(await f.detail(b.id));
      expect(events.map((e) => e.details.status)).toEqual([3, 3, undefined]);
      expect(JSON.stringify(events)).not.toContain(b.phoneB);
    } finally {
      await queued(b.phoneX!, 'normal');
    }
  });

  it('never falls back to a real number on a pushed report: X is dialled, the report noted', async () => {
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const b = await f.bind();
    expect((await report(b.phoneX!, 0)).status).toBe(200);
    try {
      for (const [caller, other] of [
        [b.phoneA, b.phoneB],
        [b.phoneB, b.phoneA],
      ] as const) {
        const res = await byId(b.id, caller);
        expect(res.body).toEqual({
          action: 'dial',
          dial: b.phoneX,
          status: 1,
          source: 'local',
          bindingId: b.id,
          reason: 'provider-refused; x-abnormal-unproven',
        });
        expect(JSON.stringify(res.body)).not.toContain(other);
      }
    } finally {
      await report(b.phoneX!, 1);
    }
  });
});

describe('the time budget', () => {
  it('answers locally when the provider is slower than the budget', async () => {
    const b = await f.bind();
    await fault({ latencyMs: 2_000, count: 1 });
    const started = performance.now();
    const res = await byId(b.id, b.phoneA);
    const took = performance.now() - started;
    expect(res.body).toMatchObject({
      dial: b.phoneX,
      status: 1,
      source: 'local',
      reason: 'budget-exceeded; x-healthy',
    });
    expect(took).toBeGreaterThanOrEqual(BUDGET_MS - 5);
    expect(took).toBeLessThan(1_000);
  });

  it('answers locally on a flow limit or a provider failure', async () => {
    const b = await f.bind();
    await fault({ code: 'isv.FLOW_LIMIT', count: 1 });
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({
      source: 'local',
      reason: 'flow-limit; x-healthy',
    });
    // A success in between keeps the breaker closed (failures must be consecutive).
    expect((await byId(b.id, b.phoneA)).body.source).toBe('provider');
    await fault({ drop: 1, count: 1 });
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({
      source: 'local',
      reason: 'provider-error; x-healthy',
    });
    expect(breaker()).toBe('closed');
  });
});

describe('the circuit breaker', () => {
  it('opens after consecutive failures: no provider call while open, then a half-open trial closes it', async () => {
    const b = await f.bind();
    await fault({ code: 'isp.SYSTEM_ERROR', count: 2 });
    for (let i = 0; i < 2; i += 1) {
      expect((await byId(b.id, b.phoneA)).body).toMatchObject({
        reason: 'provider-error; x-healthy',
      });
    }
    expect(breaker()).toBe('open');

    const calls = await f.queryCallStatusCalls();
    for (let i = 0; i < 3; i += 1) {
      expect((await byId(b.id, b.phoneB)).body).toMatchObject({
        dial: b.phoneX,
        status: 1,
        source: 'local',
        reason: 'circuit-open; x-healthy',
      });
    }
    expect(await f.queryCallStatusCalls()).toBe(calls);

    // The test clock runs on real time too: keep a margin short of the cool-down.
    clock.advance(COOLDOWN_MS - 1_000);
    expect((await byId(b.id, b.phoneA)).body.reason).toBe('circuit-open; x-healthy');
    clock.advance(1_000);
    expect(breaker()).toBe('half-open');
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({ source: 'provider', status: 1 });
    expect(await f.queryCallStatusCalls()).toBe(calls + 1);
    expect(breaker()).toBe('closed');
  });

  it('re-opens when the half-open trial fails, timeouts counting as failures', async () => {
    const b = await f.bind();
    await fault({ latencyMs: 2_000, count: 2 });
    await byId(b.id, b.phoneA);
    await byId(b.id, b.phoneA);
    expect(breaker()).toBe('open');
    clock.advance(COOLDOWN_MS);
    await fault({ code: 'isp.SYSTEM_ERROR', count: 1 });
    expect((await byId(b.id, b.phoneA)).body.reason).toBe('provider-error; x-healthy');
    expect(breaker()).toBe('open');
    const calls = await f.queryCallStatusCalls();
    expect((await byId(b.id, b.phoneA)).body.reason).toBe('circuit-open; x-healthy');
    expect(await f.queryCallStatusCalls()).toBe(calls);
  });

  it('uses the fallback while open when the queue says X is abnormal, not when a push does', async () => {
    const b = await f.bind();
    await fault({ code: 'isp.SYSTEM_ERROR', count: 2 });
    await byId(b.id, b.phoneA);
    await byId(b.id, b.phoneA);
    await report(b.phoneX!, 0);
    try {
      expect((await byId(b.id, b.phoneB)).body).toMatchObject({
        dial: b.phoneX,
        status: 1,
        source: 'local',
        reason: 'circuit-open; x-abnormal-unproven',
      });
      await queued(b.phoneX!, 'abnormal');
      expect((await byId(b.id, b.phoneB)).body).toMatchObject({
        dial: b.phoneA,
        status: 3,
        source: 'local',
        reason: 'circuit-open; x-abnormal',
      });
    } finally {
      await queued(b.phoneX!, 'normal');
    }
  });
});
