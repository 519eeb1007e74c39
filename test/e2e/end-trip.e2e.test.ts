import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ContactWindowJob } from '../../src/scheduler/contact-window.job.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Trip phases (issue 23, requirement 3) over HTTP, with the simulator enforcing the restriction
 * on its calls and delivering their records through its message queues: the driver (B) can no
 * longer call once the trip ended (the provider intercepts, routing refuses), the passenger (A)
 * still can, and the binding is unbound when the window closes — exactly once with two
 * instances, and after a restart. Time is the test clock's.
 */
const POOL = 'FCENDTRIP';
// Small batches, so two instances closing the same windows interleave over many statements.
const ENV = { END_TRIP_CONTACT_WINDOW_SECONDS: '900', SCHEDULER_CONTACT_WINDOW_BATCH_SIZE: '2' };
const clock = new TestClock();
let f: RoutingFixture;
let two: TestApp;
let sql: pg.Client;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    mns: true,
    buy: 2,
    sim: { cities: ['杭州'] },
    env: ENV,
  });
  two = await startTestApp(
    { ...f.sim.env, ...ENV },
    { clock, databaseUrl: f.t.config.database.url },
  );
  sql = new pg.Client({ connectionString: f.t.config.database.url });
  await sql.connect();
});
afterAll(async () => {
  await two?.close();
  await sql?.end();
  await f?.close();
});

const endTrip = (id: string, body?: unknown, key = TEST_KEYS.order, url = f.t.url) =>
  http<BindingView & { code?: string; fields?: Array<{ field: string }> }>(
    'POST',
    `${url}/v1/bindings/${id}/end-trip`,
    body,
    { authorization: `Bearer ${key}` },
  );
const eventKinds = async (id: string) =>
  (
    await sql.query<{ kind: string; actor: string }>(
      `SELECT kind, actor FROM binding_events WHERE binding_id = $1 ORDER BY id`,
      [id],
    )
  ).rows;
const simSettings = async (subsId: string) =>
  (
    await f.sim.control<
      Array<{ subsId: string; live: boolean; settings: { callRestrict: string } }>
    >('GET', `/bindings?poolKey=${POOL}`)
  ).find((b) => b.subsId === subsId)!;
const call = (subsId: string, caller: 'A' | 'B') =>
  f.sim.control<{ intercepted: boolean; records: Array<{ call_id: string }> }>('POST', '/calls', {
    subsId,
    caller,
    durationSeconds: 30,
  });

describe('the end of a trip', () => {
  it('restricts the driver at the provider at once; the passenger still reaches the driver', async () => {
    const b = await f.bind({ poolKey: POOL });
    // Both parties routed before: their entries are cached.
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneB })).status).toBe(200);
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).status).toBe(200);

    const ended = await endTrip(b.id, { contactWindowSeconds: 600 });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({
      state: 'active',
      phase: 'contact-window',
      callRestrict: 'CONTROL_BX_DISABLE',
    });
    expect(Date.parse(ended.body.contactUntil!) - Date.parse(ended.body.tripEndedAt!)).toBe(
      600_000,
    );
    expect((await simSettings(b.subsId!)).settings.callRestrict).toBe('CONTROL_BX_DISABLE');
    const events = await eventKinds(b.id);
    expect(events.filter((e) => e.kind === 'trip_ended')).toEqual([
      { kind: 'trip_ended', actor: 'order-service' },
    ]);

    // Routing: the driver is refused with a stable code and nothing to dial (the cached entry was
    // dropped by the restriction's notification); the passenger is answered as before.
    await f.caughtUp();
    const driver = await f.lookup({ bindingId: b.id, callerNo: b.phoneB });
    expect(driver.status).toBe(403);
    expect(driver.body).toMatchObject({ code: 'CALL_RESTRICTED' });
    expect(driver.body).not.toHaveProperty('dial');
    const passenger = await f.lookup({ bindingId: b.id, callerNo: b.phoneA });
    expect(passenger.status).toBe(200);
    expect(passenger.body).toMatchObject({ action: 'dial', dial: b.phoneX });
    const detail = await f.detail(b.id);
    expect(detail.routing).toContainEqual(
      expect.objectContaining({ caller: 'B', refused: true, reason: 'restricted' }),
    );

    // At the provider: the driver's call is intercepted (call_type 4), the passenger's connects.
    const fromDriver = await call(b.subsId!, 'B');
    expect(fromDriver.intercepted).toBe(true);
    const fromPassenger = await call(b.subsId!, 'A');
    expect(fromPassenger.intercepted).toBe(false);
    const calls = await until(
      () => f.detail(b.id),
      (d) => d.calls.length === 2,
      'both call records through the queue',
    );
    const byId = new Map(calls.calls.map((c) => [c.callId, c]));
    expect(byId.get(fromDriver.records[0]!.call_id)).toMatchObject({
      direction: 'intercepted',
      unconnectedCause: 3,
      controlType: 'REJECT',
    });
    expect(byId.get(fromPassenger.records[0]!.call_id)).toMatchObject({ direction: 'A-to-B' });
  });

  it('answers a second end-trip with the binding as it is, asking the provider nothing', async () => {
    const b = await f.bind({ poolKey: POOL });
    const first = await endTrip(b.id, {});
    // The configured default window (END_TRIP_CONTACT_WINDOW_SECONDS=900).
    expect(Date.parse(first.body.contactUntil!) - Date.parse(first.body.tripEndedAt!)).toBe(
      900_000,
    );
    const updates = await f.sim.calls('UpdateSubscription');
    const again = await endTrip(b.id, { contactWindowSeconds: 60 });
    expect(again.status).toBe(200);
    expect(again.body.contactUntil).toBe(first.body.contactUntil);
    expect(await f.sim.calls('UpdateSubscription')).toBe(updates);
  });

  it('never opens a window past the binding’s expiry', async () => {
    const b = await f.bind({ poolKey: POOL, ttlSeconds: 300 });
    const ended = await endTrip(b.id, { contactWindowSeconds: 7200 });
    expect(ended.body.contactUntil).toBe(b.expiresAt);
  });

  it('with a window of 0 unbinds at once, as DELETE does', async () => {
    const b = await f.bind({ poolKey: POOL });
    const ended = await endTrip(b.id, { contactWindowSeconds: 0 });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ state: 'unbound', phase: 'ended' });
    expect((await simSettings(b.subsId!)).live).toBe(false);
    expect((await eventKinds(b.id)).map((e) => e.kind)).toEqual(
      expect.arrayContaining(['unbind_requested', 'unbound']),
    );
  });

  it('refuses bad input with a 400 naming the field, and ended or unknown bindings, changing nothing', async () => {
    const b = await f.bind({ poolKey: POOL });
    const updates = await f.sim.calls('UpdateSubscription');
    for (const window of [-1, 604_801, 1.5, '60']) {
      const res = await endTrip(b.id, { contactWindowSeconds: window });
      expect(res.status, String(window)).toBe(400);
      expect(res.body.fields?.map((x) => x.field)).toEqual(['contactWindowSeconds']);
    }
    const unknownField = await endTrip(b.id, { windowSeconds: 60 });
    expect(unknownField.status).toBe(400);
    expect(await f.sim.calls('UpdateSubscription')).toBe(updates);
    expect((await eventKinds(b.id)).map((e) => e.kind)).not.toContain('trip_ended');

    const notAllowed = await endTrip(b.id, { contactWindowSeconds: 60 }, TEST_KEYS.routing);
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.code).toBe('FORBIDDEN_ROLE');

    await http('DELETE', `${f.t.url}/v1/bindings/${b.id}`);
    const ended = await endTrip(b.id, { contactWindowSeconds: 60 });
    expect(ended.status).toBe(409);
    expect(ended.body.code).toBe('BINDING_NOT_LIVE');
    const missing = await endTrip('8a1b5f0e-4b1c-4c7e-9a51-000000000000', {});
    expect(missing.status).toBe(404);
  });
});

describe('the contact window closing', () => {
  it('unbinds each binding exactly once when two instances close windows at once', async () => {
    const bindings: BindingView[] = [];
    for (let i = 0; i < 12; i += 1) bindings.push(await f.bind({ poolKey: POOL }));
    for (const b of bindings) {
      expect((await endTrip(b.id, { contactWindowSeconds: 120 })).status).toBe(200);
    }
    const unbinds = await f.sim.calls('UnbindSubscription');
    // Before the window closes nothing happens.
    expect(await f.t.app.get(ContactWindowJob).run()).toMatchObject({ unbindRequested: 0 });
    clock.advance(121_000);

    const [a, b] = await Promise.all([
      f.t.app.get(ContactWindowJob).run(),
      two.app.get(ContactWindowJob).run(),
    ]);
    expect(a.unbindRequested! + b.unbindRequested!).toBe(12);
    for (const binding of bindings) {
      const kinds = (await eventKinds(binding.id)).map((e) => e.kind);
      expect(
        kinds.filter((k) => k === 'unbind_requested'),
        binding.id,
      ).toHaveLength(1);
      expect(
        kinds.filter((k) => k === 'unbound'),
        binding.id,
      ).toHaveLength(1);
      const view = await http<BindingView>('GET', `${f.t.url}/v1/bindings/${binding.id}`);
      expect(view.body).toMatchObject({ state: 'unbound', phase: 'ended' });
      expect((await simSettings(binding.subsId!)).live).toBe(false);
    }
    expect((await f.sim.calls('UnbindSubscription')) - unbinds).toBe(12);
    const left = await sql.query(
      `SELECT count(*)::int AS n FROM contact_windows WHERE binding_id = ANY($1::uuid[])`,
      [bindings.map((x) => x.id)],
    );
    expect(left.rows[0].n).toBe(0);
  });

  it('closes a window opened before a restart, in the instance that runs after it', async () => {
    const b = await f.bind({ poolKey: POOL });
    expect(
      (await endTrip(b.id, { contactWindowSeconds: 300 }, TEST_KEYS.order, two.url)).status,
    ).toBe(200);
    await two.close();
    two = await startTestApp(
      { ...f.sim.env, ...ENV },
      { clock, databaseUrl: f.t.config.database.url },
    );
    clock.advance(301_000);
    expect(await two.app.get(ContactWindowJob).run()).toMatchObject({
      unbindRequested: 1,
      unbound: 1,
    });
    const kinds = await eventKinds(b.id);
    expect(kinds.find((e) => e.kind === 'unbind_requested')).toEqual({
      kind: 'unbind_requested',
      actor: 'scheduler',
    });
    expect((await simSettings(b.subsId!)).live).toBe(false);
  });
});
