import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Number safety (issue 23, requirement 5) over HTTP against the simulator: a locked X takes no
 * new binding and routes no call (live bindings on it included), and the pool's blacklist blocks
 * a caller at the provider (its calls intercepted) and in routing here.
 */
const POOL = 'FCNUMBERSAFETY';
let f: RoutingFixture;
let x: string;

beforeAll(async () => {
  f = await startRoutingFixture({ pool: POOL, buy: 1, mns: true, sim: { cities: ['杭州'] } });
  x = f.numbers[0]!;
});
afterAll(async () => {
  await f?.close();
});

type Body = Record<string, unknown> & { code?: string; fields?: Array<{ field: string }> };
const call = (method: string, path: string, body?: unknown, key: string = TEST_KEYS.admin) =>
  http<Body>(method, `${f.t.url}/v1/pools/${POOL}${path}`, body, {
    authorization: `Bearer ${key}`,
  });
const simNumber = async (number: string) =>
  (
    await f.sim.control<Array<{ secretNo: string; locked: boolean }>>(
      'GET',
      `/numbers?poolKey=${POOL}`,
    )
  ).find((n) => n.secretNo === number)!;
const simBlacklist = () =>
  f.sim.control<Array<{ blackType: string; blackNo: string; wayControl: string | null }>>(
    'GET',
    `/blacklist?poolKey=${POOL}`,
  );

describe('number locks', () => {
  it('a locked X takes no new binding and routes no call; unlocking restores both', async () => {
    const live = await f.bind({ poolKey: POOL });
    expect(live.phoneX).toBe(x);

    const locked = await call('POST', `/numbers/${x}/lock`, undefined, TEST_KEYS.safety);
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({
      number: x,
      locked: true,
      lockedBy: 'safety-team',
      liveBindings: 1,
    });
    expect((await simNumber(x)).locked).toBe(true);

    // No new binding: not pinned (the pool's only number) and not pinned to it.
    const binds = await f.sim.calls('BindAxb');
    const any = await http<Body>('POST', `${f.t.url}/v1/bindings`, {
      poolKey: POOL,
      outId: 'lock-any',
      phoneA: '13800661001',
      phoneB: '13900661001',
      ttlSeconds: 3600,
    });
    expect(any.status).toBe(503);
    expect(any.body.code).toBe('NUMBERS_EXHAUSTED');
    const pinned = await http<Body>('POST', `${f.t.url}/v1/bindings`, {
      poolKey: POOL,
      outId: 'lock-pinned',
      phoneA: '13800661002',
      phoneB: '13900661002',
      ttlSeconds: 3600,
      phoneX: x,
    });
    expect(pinned.status).toBe(409);
    expect(pinned.body.code).toBe('X_UNAVAILABLE');
    expect(await f.sim.calls('BindAxb')).toBe(binds);

    // The live binding on it routes nothing here, for either party.
    await f.caughtUp();
    for (const callerNo of [live.phoneA, live.phoneB]) {
      const refused = await f.lookup({ bindingId: live.id, callerNo });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'X_LOCKED' });
    }

    // Inventory and stock show it.
    const numbers = await call('GET', '/numbers');
    expect((numbers.body.items as Array<Record<string, unknown>>)[0]).toMatchObject({
      number: x,
      lockedAt: expect.any(String),
      lockedBy: 'safety-team',
    });
    const stock = await call('GET', '/stock');
    expect(stock.body.totals).toMatchObject({ numbers: 1, locked: 1, freePairs: 0 });

    const unlocked = await call('POST', `/numbers/${x}/unlock`);
    expect(unlocked.body).toMatchObject({ locked: false, lockedAt: null });
    expect((await simNumber(x)).locked).toBe(false);
    await f.caughtUp();
    expect((await f.lookup({ bindingId: live.id, callerNo: live.phoneA })).status).toBe(200);
    const again = await f.bind({ poolKey: POOL });
    expect(again.phoneX).toBe(x);
  });

  it('changes nothing when the provider refuses, or the number, key or path is wrong', async () => {
    await f.sim.control('POST', '/faults', {
      action: 'LockSecretNo',
      code: 'isv.FLOW_LIMIT',
      count: 1,
    });
    const throttled = await call('POST', `/numbers/${x}/lock`);
    expect(throttled.status).toBe(429);
    expect((await call('GET', '/numbers')).body.items).toEqual([
      expect.objectContaining({ number: x, lockedAt: null }),
    ]);
    expect((await call('POST', '/numbers/13012345678/lock')).status).toBe(404);
    const bad = await call('POST', '/numbers/12ab/lock');
    expect(bad.status).toBe(400);
    expect(bad.body.fields?.map((x) => x.field)).toEqual(['number']);
    const role = await call('POST', `/numbers/${x}/lock`, undefined, TEST_KEYS.order);
    expect(role.status).toBe(403);
    expect(role.body.code).toBe('FORBIDDEN_ROLE');
    expect((await simNumber(x)).locked).toBe(false);
  });
});

describe('the blacklist', () => {
  it('blocks a caller for the pool, at the provider and in routing, until removed', async () => {
    const b = await f.bind({ poolKey: POOL });
    // Routed once before: cached, so the refusal below proves the cache heard the entry.
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneB })).status).toBe(200);
    const added = await call(
      'POST',
      '/blacklist',
      { phone: b.phoneB, direction: 'outgoing', remark: 'harassment report 42' },
      TEST_KEYS.safety,
    );
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      phone: b.phoneB,
      peerPhone: null,
      direction: 'outgoing',
      blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
      wayControl: null,
      createdBy: 'safety-team',
    });
    expect(await simBlacklist()).toEqual([
      expect.objectContaining({ blackType: 'PARTNER_GLOBAL_NUMBER_BLACK', blackNo: b.phoneB }),
    ]);
    expect((await call('GET', '/blacklist')).body.items).toEqual([
      expect.objectContaining({ phone: b.phoneB, direction: 'outgoing' }),
    ]);

    await f.caughtUp();
    const refused = await f.lookup({ bindingId: b.id, callerNo: b.phoneB });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'CALLER_BLACKLISTED' });
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).status).toBe(200);
    const intercepted = await f.sim.control<{
      intercepted: boolean;
      records: Array<{ call_id: string }>;
    }>('POST', '/calls', { subsId: b.subsId, caller: 'B', durationSeconds: 10 });
    expect(intercepted.intercepted).toBe(true);
    await until(
      () => f.detail(b.id),
      (d) => d.calls.some((c) => c.direction === 'intercepted' && c.unconnectedCause === 1),
      'the intercepted call record',
    );

    const removed = await call('DELETE', '/blacklist', { phone: b.phoneB });
    expect(removed.status).toBe(204);
    expect(await simBlacklist()).toEqual([]);
    await f.caughtUp();
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneB })).status).toBe(200);
    expect((await call('DELETE', '/blacklist', { phone: b.phoneB })).status).toBe(404);
  });

  it('maps a point-to-point direction onto WayControl, and routing follows it', async () => {
    const b = await f.bind({ poolKey: POOL });
    // incoming to A: B may not call A (the second number may not call the first).
    const added = await call('POST', '/blacklist', {
      phone: b.phoneA,
      peerPhone: b.phoneB,
      direction: 'incoming',
    });
    expect(added.body).toMatchObject({
      blackType: 'POINT_TO_POINT_BLACK',
      wayControl: 'PHONEA_REJECT',
    });
    expect(await simBlacklist()).toEqual([
      expect.objectContaining({ blackNo: `${b.phoneA}:${b.phoneB}`, wayControl: 'PHONEA_REJECT' }),
    ]);
    await f.caughtUp();
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneB })).body).toMatchObject({
      code: 'CALLER_BLACKLISTED',
    });
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).status).toBe(200);

    // The same numbers again: the direction is replaced (both ways now).
    const both = await call('POST', '/blacklist', {
      phone: b.phoneA,
      peerPhone: b.phoneB,
      direction: 'both',
    });
    expect(both.body).toMatchObject({ direction: 'both', wayControl: null });
    await f.caughtUp();
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).status).toBe(403);
    expect((await call('GET', '/blacklist')).body.items).toHaveLength(1);
    await call('DELETE', '/blacklist', { phone: b.phoneA, peerPhone: b.phoneB });
  });

  it('refuses bad entries with a 400 naming the field, and takes back what the provider refused', async () => {
    const adds = await f.sim.calls('AddSecretBlacklist');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ phone: '13900000001', direction: 'sideways' }, 'direction'],
      [{ phone: '13900000001', direction: 'incoming' }, 'direction'],
      [{ phone: '13900000001', direction: 'both' }, 'direction'],
      [{ phone: '13900000001', peerPhone: '13900000001', direction: 'both' }, 'peerPhone'],
      [{ phone: '123', direction: 'outgoing' }, 'phone'],
      [{ phone: '13900000001', direction: 'outgoing', remark: 'x'.repeat(129) }, 'remark'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/blacklist', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.fields?.map((x) => x.field)).toEqual([field]);
    }
    expect(await f.sim.calls('AddSecretBlacklist')).toBe(adds);

    await f.sim.control('POST', '/faults', {
      action: 'AddSecretBlacklist',
      code: 'isp.SYSTEM_ERROR',
      count: 1,
    });
    const failed = await call('POST', '/blacklist', {
      phone: '13900000001',
      direction: 'outgoing',
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect((await call('GET', '/blacklist')).body.items).toEqual([]);
    const unknownPool = await http<Body>('GET', `${f.t.url}/v1/pools/FCNOSUCHPOOL/blacklist`);
    expect(unknownPool.status).toBe(404);
  });
});
