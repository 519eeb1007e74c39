import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import type { RouteAnswer } from '../../src/routing/route-answer.js';
import { RouteCacheListener } from '../../src/routing/route-cache.listener.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { HEALTH_PUSH_ON } from '../support/test-keys.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Issue 27, finding 1 / requirement 2: routing never falls back to a real number on the word of an
 * HTTP-pushed health report. Two instances on one database, both caching routes for long:
 * instance 1 has the push off (the default) and consumes the simulator's message queues (where
 * Alibaba delivers number health); instance 2 has the push on (CALLBACK_NUMBER_HEALTH_ENABLED)
 * and no consumer. QueryCallStatus is refused throughout, so every answer is the local rule's.
 */
const POOL = 'FCHEALTHSOURCES';
const ACK = { code: 0, msg: '接收成功' };
const LONG_TTL = { ROUTING_CACHE_TTL_MS: '600000' };
let f: RoutingFixture;
let two: TestApp;
let prisma: PrismaService;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    mns: true,
    env: { ...LONG_TTL, MNS_WAIT_SECONDS: '1' },
  });
  two = await startTestApp(
    { ...f.sim.env, ...LONG_TTL, ...HEALTH_PUSH_ON },
    { databaseUrl: f.t.config.database.url! },
  );
  prisma = f.t.app.get(PrismaService);
  await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
});
afterEach(async () => {
  for (const x of f.numbers) await queueReport(x, 'normal');
});
afterAll(async () => {
  await two?.close();
  await f?.close();
});

const push = (app: TestApp, secretNo: string, noStatus: 0 | 1, timestamp = Date.now()) =>
  http<{ code: unknown }>('POST', `${app.url}/v1/callbacks/number-health`, [
    { secretNo, noStatus, timestamp },
  ]);
const healthOf = async (number: string) => {
  const [row] = await prisma.$queryRaw<Array<{ health: string; source: string | null }>>(
    Prisma.sql`SELECT health::text AS health, health_source AS source FROM secret_numbers
                WHERE number = ${number} AND state <> 'released'`,
  );
  return row!;
};
/** X flipped at the provider: its SecretExceptionPhoneReport message reaches instance 1. */
const queueReport = async (x: string, status: 'normal' | 'abnormal') => {
  await f.sim.control('POST', `/numbers/${x}/health`, { status });
  await until(
    () => healthOf(x),
    (h) => h.health === status && h.source === 'queue',
    `X ${status} from the queue`,
  );
};
const lookup = (app: TestApp, bindingId: string, callerNo: string) =>
  http<RouteAnswer>('POST', `${app.url}/v1/routing/lookup`, { bindingId, callerNo });
const caughtUp = async () => {
  for (const app of [f.t, two]) await app.app.get(RouteCacheListener).caughtUp();
};

describe('the HTTP number-health push, off by default', () => {
  it('is refused with a stable code, counted, and changes nothing', async () => {
    const b = await f.bind();
    const x = b.phoneX!;
    const before = await healthOf(x);
    const res = await push(f.t, x, 0);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'NUMBER_HEALTH_PUSH_DISABLED' });
    expect(await healthOf(x)).toEqual(before);
    expect(before.health).toBe('normal');
    const dead = await prisma.$queryRaw<Array<{ n: number }>>(
      Prisma.sql`SELECT count(*)::int AS n FROM dead_letters`,
    );
    expect(dead[0]!.n).toBe(0);
    const metrics = (await http<string>('GET', `${f.t.url}/metrics`)).body;
    expect(metrics).toContain(
      'axb_provider_reports_total{type="SecretExceptionPhoneReport",source="push",outcome="refused"} 1',
    );
    expect((await lookup(f.t, b.id, b.phoneA)).body).toMatchObject({
      dial: x,
      status: 1,
      reason: 'provider-refused; x-healthy',
    });
  });
});

describe('routing falls back to a real number only on health from a proven source', () => {
  it('dials X on a pushed report, the other party once the queue confirms it, on every instance', async () => {
    const b = await f.bind();
    const x = b.phoneX!;
    // Both instances cache the binding with X healthy.
    for (const app of [f.t, two]) {
      expect((await lookup(app, b.id, b.phoneA)).body).toMatchObject({ dial: x, status: 1 });
    }

    // Pushed (instance 2 accepts it, as before this change): X is marked, routing is not moved.
    expect((await push(two, x, 0)).body).toEqual(ACK);
    expect(await healthOf(x)).toEqual({ health: 'abnormal', source: 'push' });
    await caughtUp();
    for (const app of [f.t, two]) {
      for (const [caller, other] of [
        [b.phoneA, b.phoneB],
        [b.phoneB, b.phoneA],
      ] as const) {
        const res = await lookup(app, b.id, caller);
        expect(res.body).toMatchObject({
          action: 'dial',
          dial: x,
          status: 1,
          source: 'local',
          reason: 'provider-refused; x-abnormal-unproven',
        });
        expect(JSON.stringify(res.body)).not.toContain(other);
      }
    }

    // The queue says the same: only the source changes, and every instance hears of it.
    await queueReport(x, 'abnormal');
    await caughtUp();
    for (const app of [f.t, two]) {
      expect((await lookup(app, b.id, b.phoneA)).body).toMatchObject({
        dial: b.phoneB,
        status: 3,
        source: 'local',
        reason: 'provider-refused; x-abnormal',
      });
    }

    // A pushed copy of the same report does not weaken the queue's.
    expect((await push(two, x, 0)).body).toEqual(ACK);
    expect(await healthOf(x)).toEqual({ health: 'abnormal', source: 'queue' });
    await caughtUp();
    expect((await lookup(two, b.id, b.phoneB)).body).toMatchObject({ dial: b.phoneA, status: 3 });

    // A pushed recovery is believed (it moves no call to a real number).
    expect((await push(two, x, 1)).body).toEqual(ACK);
    expect(await healthOf(x)).toEqual({ health: 'normal', source: 'push' });
    await caughtUp();
    expect((await lookup(f.t, b.id, b.phoneA)).body).toMatchObject({
      dial: x,
      status: 1,
      reason: 'provider-refused; x-healthy',
    });
  });
});
