import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../support/test-clock.js';
import { http } from '../support/test-app.js';
import { HEALTH_PUSH_ON, TEST_KEYS } from '../support/test-keys.js';
import { routedEvents, startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

const POOL = 'FCROUTELOOKUP';
const clock = new TestClock();
let f: RoutingFixture;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    env: { ROUTING_CACHE_TTL_MS: '5000', ...HEALTH_PUSH_ON },
  });
});
afterAll(async () => {
  await f?.close();
});

const byId = (id: string, callerNo: string) => f.lookup({ bindingId: id, callerNo });

describe('status 1: X is normal', () => {
  it('tells A and B to dial X, asking the provider, and records each decision masked', async () => {
    const b = await f.bind();
    const before = await f.queryCallStatusCalls();
    const a = await byId(b.id, b.phoneA);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      action: 'dial',
      dial: b.phoneX,
      status: 1,
      source: 'provider',
      bindingId: b.id,
      reason: 'x-normal',
    });
    const fromB = await byId(b.id, b.phoneB);
    expect(fromB.body).toMatchObject({ dial: b.phoneX, status: 1, source: 'provider' });
    expect(await f.queryCallStatusCalls()).toBe(before + 2);

    const events = routedEvents(await f.detail(b.id));
    expect(events.map((e) => e.details.caller)).toEqual(['A', 'B']);
    expect(events[0]!.details).toMatchObject({ status: 1, source: 'provider', reason: 'x-normal' });
    const text = JSON.stringify(events);
    for (const full of [b.phoneA, b.phoneB, b.phoneX!]) expect(text).not.toContain(full);
    expect(events[0]!.details.callerNo).toBe(`${b.phoneA.slice(0, 3)}****${b.phoneA.slice(-4)}`);
  });

  it('finds the binding by outId in the default pool, or in the pool named', async () => {
    const b = await f.bind();
    const res = await f.lookup({ outId: b.outId, callerNo: b.phoneB });
    expect(res.body).toMatchObject({ bindingId: b.id, dial: b.phoneX, status: 1 });
    const named = await f.lookup({ outId: b.outId, poolKey: POOL, callerNo: b.phoneA });
    expect(named.body).toMatchObject({ bindingId: b.id, status: 1 });
  });
});

describe('the cache of status-1 answers', () => {
  it('answers repeated lookups of one caller from the cache, without the provider, each counted', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    const calls = await f.queryCallStatusCalls();
    for (let i = 0; i < 3; i += 1) {
      const res = await byId(b.id, b.phoneA);
      expect(res.body).toMatchObject({ dial: b.phoneX, status: 1, source: 'cache' });
    }
    expect(await f.queryCallStatusCalls()).toBe(calls);
    // The other party has its own entry.
    expect((await byId(b.id, b.phoneB)).body.source).toBe('provider');
    // Every decision is counted; the first of each kind (caller and outcome) is also an event.
    const detail = await f.detail(b.id);
    expect(routedEvents(detail).map((e) => e.details.source)).toEqual([
      'provider',
      'cache',
      'provider',
    ]);
    expect(
      detail.routing.map((r) => [r.caller, r.status, r.source, r.reason, r.count]).sort(),
    ).toEqual([
      ['A', 1, 'cache', 'x-normal', 3],
      ['A', 1, 'provider', 'x-normal', 1],
      ['B', 1, 'provider', 'x-normal', 1],
    ]);
  });

  it('keeps the first decision of a kind as its event; later batches only add to its count', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    await byId(b.id, b.phoneA);
    // (The test clock stands still: events of one moment come in either order.)
    const bySource = (events: ReturnType<typeof routedEvents>) =>
      [...events].sort((x, y) => String(x.details.source).localeCompare(String(y.details.source)));
    const first = bySource(routedEvents(await f.detail(b.id)));
    expect(first.map((e) => e.details.source)).toEqual(['cache', 'provider']);
    expect(first[0]!.details).toMatchObject({ status: 1, reason: 'x-normal', caller: 'A' });
    for (let i = 0; i < 3; i += 1) await byId(b.id, b.phoneA);
    const detail = await f.detail(b.id);
    expect(bySource(routedEvents(detail))).toEqual(first);
    expect(detail.routing.find((r) => r.source === 'cache')?.count).toBe(4);
  });

  it('sends a cached answer exactly as any other: body text, status and headers', async () => {
    const b = await f.bind();
    const send = () =>
      fetch(`${f.t.url}/v1/routing/lookup`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_KEYS.all}`,
          'content-type': 'application/json',
          'x-request-id': 'lookup-raw-1',
        },
        body: JSON.stringify({ bindingId: b.id, callerNo: b.phoneB }),
      });
    const first = await send();
    const cached = await send();
    const expected = (source: string) =>
      JSON.stringify({
        action: 'dial',
        dial: b.phoneX,
        status: 1,
        source,
        bindingId: b.id,
        reason: 'x-normal',
      });
    expect(await first.text()).toBe(expected('provider'));
    expect(await cached.text()).toBe(expected('cache'));
    for (const res of [first, cached]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-request-id')).toBe('lookup-raw-1');
    }
    // Another binding's cached answer is its own (one body text per cached binding).
    const other = await f.bind();
    await byId(other.id, other.phoneA);
    expect((await byId(other.id, other.phoneA)).body).toEqual({
      action: 'dial',
      dial: other.phoneX,
      status: 1,
      source: 'cache',
      bindingId: other.id,
      reason: 'x-normal',
    });
  });

  it('asks the provider again once the TTL has run out', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    expect((await byId(b.id, b.phoneA)).body.source).toBe('cache');
    clock.advance(5_001);
    expect((await byId(b.id, b.phoneA)).body.source).toBe('provider');
  });

  it('is dropped when the binding changes', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    const patched = await http('PATCH', `${f.t.url}/v1/bindings/${b.id}`, { ttlSeconds: 7200 });
    expect(patched.status).toBe(200);
    await f.caughtUp();
    expect((await byId(b.id, b.phoneA)).body.source).toBe('provider');
  });

  it('is dropped when X is reported abnormal', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    const ack = await http('POST', `${f.t.url}/v1/callbacks/number-health`, [
      { secretNo: b.phoneX, noStatus: 0, timestamp: clock.now().getTime() },
    ]);
    expect(ack.body).toEqual({ code: 0, msg: '接收成功' });
    const calls = await f.queryCallStatusCalls();
    // The simulator still thinks X is fine: the provider's answer wins, but it is not cached.
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({ source: 'provider', status: 1 });
    expect((await byId(b.id, b.phoneA)).body.source).toBe('provider');
    expect(await f.queryCallStatusCalls()).toBe(calls + 2);
    await http('POST', `${f.t.url}/v1/callbacks/number-health`, [
      { secretNo: b.phoneX, noStatus: 1, timestamp: clock.now().getTime() + 1 },
    ]);
  });

  it('never outlives an unbind: the ended binding answers status 4, no number', async () => {
    const b = await f.bind();
    await byId(b.id, b.phoneA);
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${b.id}`)).status).toBe(200);
    await f.caughtUp();
    const res = await byId(b.id, b.phoneA);
    expect(res.body).toEqual({
      action: 'none',
      dial: null,
      status: 4,
      source: 'local',
      bindingId: b.id,
      reason: 'unbound',
    });
  });
});

describe('status 4: the binding has expired', () => {
  it('says so when the provider reports it, and marks the binding expired here', async () => {
    const b = await f.bind();
    await f.sim.control('POST', '/clock/advance', { ms: 3_700_000 });
    try {
      const res = await byId(b.id, b.phoneB);
      expect(res.body).toMatchObject({ action: 'none', dial: null, status: 4, source: 'provider' });
    } finally {
      // Back to real time, where the other tests' bindings live.
      await f.sim.control('POST', '/clock/set', { now: Date.now() });
    }
    const detail = await f.detail(b.id);
    expect(detail.state).toBe('expired');
    expect(detail.events.map((e) => e.kind).slice(-2)).toEqual(['expired', 'routed']);
    expect(detail.events.at(-2)!.actor).toBe('routing');
    // Later lookups stay at 4 without asking.
    const calls = await f.queryCallStatusCalls();
    expect((await byId(b.id, b.phoneA)).body).toMatchObject({ status: 4, source: 'local' });
    expect(await f.queryCallStatusCalls()).toBe(calls);
  });

  it('decides locally once our own clock has passed the expiry, and ends the binding', async () => {
    const b = await f.bind({ ttlSeconds: 120 });
    await byId(b.id, b.phoneA);
    clock.advance(121_000);
    const calls = await f.queryCallStatusCalls();
    const res = await byId(b.id, b.phoneA);
    expect(res.body).toMatchObject({ action: 'none', dial: null, status: 4, source: 'local' });
    expect(await f.queryCallStatusCalls()).toBe(calls);
    const detail = await f.detail(b.id);
    expect(detail.state).toBe('expired');
    expect(detail.events.filter((e) => e.kind === 'expired')).toHaveLength(1);
  });
});

describe('strangers learn nothing', () => {
  const stripId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

  it('gives the same 403 for a stranger, an unknown id, an unknown order and an ended binding', async () => {
    const b = await f.bind();
    const ended = await f.bind();
    await http('DELETE', `${f.t.url}/v1/bindings/${ended.id}`);
    const stranger = '13712345678';
    const answers = [
      await byId(b.id, stranger),
      await byId(randomUUID(), stranger),
      await byId(randomUUID(), b.phoneA),
      await f.lookup({ outId: 'no-such-order', callerNo: b.phoneA }),
      await f.lookup({ outId: b.outId, poolKey: 'FCOTHERPOOL', callerNo: b.phoneA }),
      await byId(ended.id, stranger),
    ];
    for (const res of answers) expect(res.status).toBe(403);
    const bodies = answers.map((r) => stripId(r.body));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(bodies[0]).toEqual({
      statusCode: 403,
      code: 'ROUTE_FORBIDDEN',
      message: 'No route for this caller',
      requestId: undefined,
    });
    // The refusal of a known binding is in its history, the caller masked.
    const refused = routedEvents(await f.detail(b.id));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.details).toMatchObject({ refused: true, callerNo: '137****5678' });
  });

  it('validates the request and names the field', async () => {
    const b = await f.bind();
    const both = await f.lookup({ bindingId: b.id, outId: b.outId, callerNo: b.phoneA });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'bindingId' }],
    });
    const neither = await f.lookup({ callerNo: b.phoneA });
    expect(neither.body).toMatchObject({ fields: [{ field: 'outId' }] });
    const badCaller = await f.lookup({ bindingId: b.id, callerNo: '12' });
    expect(badCaller.body).toMatchObject({ fields: [{ field: 'callerNo' }] });
    const badId = await f.lookup({ bindingId: 'nope', callerNo: b.phoneA });
    expect(badId.body).toMatchObject({ fields: [{ field: 'bindingId' }] });
  });
});
