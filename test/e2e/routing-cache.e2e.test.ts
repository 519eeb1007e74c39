import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { RouteCache } from '../../src/routing/route-cache.js';
import { RouteCacheListener } from '../../src/routing/route-cache.listener.js';
import type { RouteAnswer } from '../../src/routing/route-answer.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { HEALTH_PUSH_ON } from '../support/test-keys.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

// Two instances on one database: changes made through instance 1 (or by any other process)
// must reach instance 2's cache, which otherwise would keep answering for ten minutes.
const POOL = 'FCROUTECACHE';
const LONG_TTL = { ROUTING_CACHE_TTL_MS: '600000', ...HEALTH_PUSH_ON };
const clock2 = new TestClock();
let f: RoutingFixture;
let two: TestApp;
let sql: pg.Client;

beforeAll(async () => {
  f = await startRoutingFixture({ pool: POOL, env: LONG_TTL, buy: 3 });
  two = await startTestApp(
    { ...f.sim.env, ...LONG_TTL },
    { clock: clock2, databaseUrl: f.t.config.database.url! },
  );
  sql = new pg.Client({ connectionString: f.t.config.database.url! });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await two?.close();
  await f?.close();
});

type Answer = RouteAnswer & Record<string, unknown>;
const lookup2 = async (id: string, callerNo: string) =>
  (await http<Answer>('POST', `${two.url}/v1/routing/lookup`, { bindingId: id, callerNo })).body;
const listener2 = () => two.app.get(RouteCacheListener);

/** A binding made through instance 1 whose answer for A instance 2 has cached. */
async function cachedOnTwo(extra: Record<string, unknown> = {}): Promise<BindingView> {
  const b = await f.bind(extra);
  await listener2().caughtUp();
  expect(await lookup2(b.id, b.phoneA)).toMatchObject({ source: 'provider', dial: b.phoneX });
  expect(await lookup2(b.id, b.phoneA)).toMatchObject({ source: 'cache', dial: b.phoneX });
  return b;
}

/**
 * Asks instance 2 until `done` holds for its answer (bounded tries, no timing assumption); every
 * answer on the way must pass `allowed`. Returns the first answer that satisfied `done`.
 */
async function untilTwo(
  b: BindingView,
  done: (a: Answer) => boolean,
  allowed: (a: Answer) => boolean = () => true,
): Promise<Answer> {
  for (let i = 0; i < 200; i += 1) {
    const answer = await lookup2(b.id, b.phoneA);
    expect(allowed(answer)).toBe(true);
    if (done(answer)) return answer;
  }
  throw new Error('instance 2 kept answering from its cache');
}

const fromCache = (a: Answer) => a.source === 'cache';

describe('changes through instance 1 reach instance 2', () => {
  it('unbind: instance 2 stops answering X and says the binding ended', async () => {
    const b = await cachedOnTwo();
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${b.id}`)).status).toBe(200);
    const ended = await untilTwo(b, (a) => a.status === 4);
    expect(ended).toMatchObject({ action: 'none', dial: null, status: 4, reason: 'unbound' });
    // And it stays ended (the ended binding is cached too, as ended).
    expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 4, dial: null });
  });

  it('expiry change: instance 2 decides with the new expiry', async () => {
    const b = await cachedOnTwo();
    const patched = await http('PATCH', `${f.t.url}/v1/bindings/${b.id}`, { ttlSeconds: 120 });
    expect(patched.status).toBe(200);
    // Past the new expiry but long before the old one, on instance 2's clock.
    clock2.advance(121_000);
    try {
      const ended = await untilTwo(b, (a) => a.status === 4);
      expect(ended).toMatchObject({ action: 'none', dial: null, source: 'local' });
    } finally {
      clock2.advance(-121_000);
    }
  });

  it('X abnormal: instance 2 stops dialling X from its cache and asks the provider', async () => {
    const b = await cachedOnTwo();
    const x = b.phoneX!;
    // The provider sees X abnormal (and lends a temporary X); its report reaches instance 1 only.
    await f.sim.control('POST', `/numbers/${x}/health`, { status: 'abnormal' });
    const report = (noStatus: number, at: number) =>
      http('POST', `${f.t.url}/v1/callbacks/number-health`, [
        { secretNo: x, noStatus, timestamp: at },
      ]);
    try {
      expect((await report(0, Date.now())).body).toEqual({ code: 0, msg: '接收成功' });
      const moved = await untilTwo(b, (a) => !fromCache(a));
      expect(moved).toMatchObject({ action: 'dial', status: 2, source: 'provider' });
      expect(moved.dial).not.toBe(x);
      // While X is abnormal nothing for it is cached.
      expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 2, source: 'provider' });
    } finally {
      await f.sim.control('POST', `/numbers/${x}/health`, { status: 'normal' });
      await report(1, Date.now() + 1);
    }
  });

  it('a change by another process (plain SQL, no API) reaches the cache too', async () => {
    const b = await cachedOnTwo();
    await sql.query(`UPDATE bindings SET state = 'expired', ended_at = now() WHERE id = $1`, [
      b.id,
    ]);
    const ended = await untilTwo(b, (a) => a.status === 4);
    expect(ended).toMatchObject({ dial: null, reason: 'expired' });
  });

  it("a binding the expiry sweep's batch ends leaves the cache (its ids told in chunks)", async () => {
    const b = await cachedOnTwo();
    // A batch as the sweep runs it, at the binding's expiry (earlier tests' bindings, due
    // before it, end with it: done with).
    const { rows } = await sql.query<{ binding_id: string }>(
      `SELECT binding_id
         FROM expire_bindings(NULL, 5000, (SELECT expires_at FROM bindings WHERE id = $1),
                              'sweep', '{}', true)`,
      [b.id],
    );
    expect(rows.map((r) => r.binding_id)).toContain(b.id);
    const ended = await untilTwo(b, (a) => a.status === 4);
    expect(ended).toMatchObject({ dial: null, reason: 'expired' });
  });

  it('holds no unsettled binding: settling it (which notifies nothing) is seen at once', async () => {
    const b = await cachedOnTwo();
    // Back to pending by hand (that change notifies: the binding was settled), then settled again
    // the way a bind settles, which notifies nobody.
    await sql.query(`UPDATE bindings SET state = 'pending' WHERE id = $1`, [b.id]);
    await listener2().caughtUp();
    expect(
      (await http('POST', `${two.url}/v1/routing/lookup`, { bindingId: b.id, callerNo: b.phoneA }))
        .status,
    ).toBe(403);
    await sql.query(`UPDATE bindings SET state = 'active' WHERE id = $1`, [b.id]);
    expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 1, dial: b.phoneX });
  });

  it('a new bind for an order is found by order, not the ended binding cached for it', async () => {
    const b = await f.bind();
    const byOrder = (callerNo: string) =>
      http<Answer>('POST', `${two.url}/v1/routing/lookup`, { outId: b.outId, callerNo });
    await byOrder(b.phoneA);
    expect((await byOrder(b.phoneA)).body).toMatchObject({ bindingId: b.id, source: 'cache' });
    await http('DELETE', `${f.t.url}/v1/bindings/${b.id}`);
    const again = await f.bind({ outId: b.outId });
    expect(again.id).not.toBe(b.id);
    for (let i = 0; i < 200; i += 1) {
      const res = await byOrder(again.phoneA);
      if (res.status === 200 && res.body.bindingId === again.id) return;
    }
    throw new Error('instance 2 kept finding the old binding of the order');
  });
});

describe('instance 2 without its listener', () => {
  const terminate = async () => {
    const { rows } = await sql.query<{ done: boolean }>(
      `SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity
        WHERE application_name = $1`,
      [listener2().applicationName],
    );
    expect(rows).toEqual([{ done: true }]);
  };

  it('never answers from a stale entry, and caches again once it has reconnected', async () => {
    const before = listener2().interruptions;
    const b = await cachedOnTwo();
    await terminate();
    // Nobody tells instance 2 about this unbind: its listener is gone.
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${b.id}`)).status).toBe(200);
    expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 4, dial: null });
    expect(listener2().interruptions).toBe(before + 1);

    // Caching resumes after the reconnect, and the new connection hears changes again.
    await until(() => listener2().listening, 'instance 2 listening again');
    const next = await cachedOnTwo();
    await http('DELETE', `${f.t.url}/v1/bindings/${next.id}`);
    const ended = await untilTwo(next, (a) => a.status === 4);
    expect(ended.dial).toBeNull();
  });

  it('reads the database while its listener is down, and only then', async () => {
    const b = await cachedOnTwo();
    const other = await cachedOnTwo();
    // Hold the reconnection off: the database accepts no new connection for a while (said from
    // another database: a session cannot close its own).
    const url = new URL(f.t.config.database.url!);
    const db = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    // Instance 2's pool opens every connection it may need now: what is under test is the
    // listener's absence, not a pool that cannot grow while the database refuses connections.
    const pool = two.app.get(PrismaService).pgPool;
    await Promise.all(
      Array.from({ length: two.config.database.poolSize }, () =>
        pool.query('SELECT pg_sleep(0.05)'),
      ),
    );
    await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    try {
      await terminate();
      await until(() => !listener2().listening, 'instance 2 noticing its listener is gone');
      // A change no listener of instance 2 can hear: answered from the database all the same.
      await sql.query(`UPDATE bindings SET state = 'unbound', ended_at = now() WHERE id = $1`, [
        b.id,
      ]);
      expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 4, reason: 'unbound' });
      for (let i = 0; i < 3; i += 1) {
        const answer = await lookup2(other.id, other.phoneA);
        expect(answer).toMatchObject({ source: 'provider', status: 1, dial: other.phoneX });
      }
    } finally {
      await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await until(() => listener2().listening, 'instance 2 listening again');
    await cachedOnTwo();
  });
});

describe('refresh ahead', () => {
  // Last in the file: it moves instance 2's clock past every entry's TTL.
  it('reads a busy binding and asks the provider again behind a lookup, so none waits at the TTL', async () => {
    const ttl = Number(LONG_TTL.ROUTING_CACHE_TTL_MS);
    const b = await cachedOnTwo();
    const cache = two.app.get(RouteCache);
    const firstStaleAt = cache.find(b.id, clock2.now().getTime())!.staleAt;
    const asked = await f.queryCallStatusCalls();

    // Past the refresh point (75-95 % of the TTL), within the TTL: answered from the cache, and
    // the binding read and the provider asked in the background.
    clock2.advance(Math.ceil(ttl * 0.96));
    expect(await lookup2(b.id, b.phoneA)).toMatchObject({ source: 'cache', dial: b.phoneX });
    await f.eventually(
      async () =>
        (await f.queryCallStatusCalls()) === asked + 1 &&
        cache.find(b.id, clock2.now().getTime())!.staleAt > firstStaleAt,
      'the entry and the answer refreshed',
    );

    // Past the first read's TTL: still from the cache, nothing asked on the lookup's path.
    clock2.advance(Math.ceil(ttl * 0.05));
    expect(await lookup2(b.id, b.phoneA)).toMatchObject({ source: 'cache', dial: b.phoneX });
    expect(await f.queryCallStatusCalls()).toBe(asked + 1);
  });

  it('a refresh that hears another answer (here: ended at the provider) makes the next lookup ask', async () => {
    const ttl = Number(LONG_TTL.ROUTING_CACHE_TTL_MS);
    const b = await cachedOnTwo();
    const asked = await f.queryCallStatusCalls();
    // The provider's clock past the binding's hour: it answers status 4 from now on.
    await f.sim.control('POST', '/clock/advance', { ms: 3_700_000 });
    try {
      clock2.advance(Math.ceil(ttl * 0.96));
      expect(await lookup2(b.id, b.phoneA)).toMatchObject({ source: 'cache', dial: b.phoneX });
      await f.eventually(
        async () => (await f.queryCallStatusCalls()) === asked + 1,
        'the refresh asked',
      );
      // Not "dial X" any more: forgotten, and the next lookup asks and ends the binding.
      await f.eventually(
        async () => (await lookup2(b.id, b.phoneA)).source !== 'cache',
        'the remembered answer forgotten',
      );
      expect(await lookup2(b.id, b.phoneA)).toMatchObject({ status: 4, dial: null });
    } finally {
      await f.sim.control('POST', '/clock/set', { now: Date.now() });
    }
  });
});

/** Polls `check` with short pauses, a bounded number of times (the listener reconnects with backoff). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
