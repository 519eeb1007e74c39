import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_AUTH } from '../../bench/support/bench-key.js';
import { benchServiceEnv, exited, startService } from '../../bench/support/child-service.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { RoutingAccessWriter } from '../../src/routing/routing-access.writer.js';
import { withFailingInsert } from '../support/db-faults.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { SIM_KEY_ID, SIM_KEY_SECRET, startTestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Every routing answer that hands a party the other party's real number (the fallback, status 3)
 * is recorded in access_log, issue 27: who, the route, the binding, the request id; never the
 * number. Answers dialling X record nothing.
 */
const POOL = 'FCROUTEACCESS';
const ROUTE = 'POST /v1/routing/lookup';
const RECHECK_MS = 60_000;
const clock = new TestClock();
let f: RoutingFixture;

interface AccessRow {
  actor: string;
  route: string;
  binding_ids: string[];
  request_id: string;
  row: string;
}

const SELECT_ROWS = `SELECT actor, route, binding_ids, request_id, row_to_json(a)::text AS row
                       FROM access_log a WHERE $1::uuid = ANY(binding_ids) ORDER BY id`;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    env: { ROUTING_CACHE_TTL_MS: '0', ROUTING_REFUSED_RECHECK_MS: String(RECHECK_MS) },
  });
});
afterEach(async () => {
  await f.sim.control('POST', '/private-actions', { queryCallStatus: 'allowed' });
  // A refusal the service remembered has run out for the next test.
  clock.advance(RECHECK_MS);
});
afterAll(async () => {
  await f?.close();
});

/** X's health as the message queue's report leaves it (origin proven). */
const queued = async (secretNo: string, health: 'normal' | 'abnormal') => {
  await f.t.app.get(PrismaService).$executeRaw(Prisma.sql`
    UPDATE secret_numbers SET health = ${health}::number_health, health_source = 'queue',
           health_at = ${clock.now()}
     WHERE number = ${secretNo} AND state <> 'released'`);
  await f.caughtUp();
};

/** The binding's access_log rows, once everything noted so far is written. */
async function accessRows(bindingId: string): Promise<AccessRow[]> {
  await f.t.app.get(RoutingAccessWriter).flush();
  const { rows } = await f.t.app
    .get(PrismaService)
    .pgPool.query<AccessRow>(SELECT_ROWS, [bindingId]);
  return rows;
}

describe('routing answers in access_log', () => {
  it('a fallback answer (the other party’s real number) leaves one row: key, route, binding, request id, no number', async () => {
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const b = await f.bind();
    await queued(b.phoneX!, 'abnormal');
    try {
      const res = await fetch(`${f.t.url}/v1/routing/lookup`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TEST_KEYS.routing}`,
        },
        body: JSON.stringify({ bindingId: b.id, callerNo: b.phoneA }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 3, dial: b.phoneB, bindingId: b.id });
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toBeTruthy();

      const rows = await accessRows(b.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor: 'routing-service',
        route: ROUTE,
        binding_ids: [b.id],
        request_id: requestId,
      });
      for (const number of [b.phoneA, b.phoneB, b.phoneX!]) {
        expect(rows[0]!.row).not.toContain(number);
      }
    } finally {
      await queued(b.phoneX!, 'normal');
    }
  });

  it('a fallback is answered while access_log cannot be written; the row is kept and written once it can', async () => {
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const b = await f.bind();
    await queued(b.phoneX!, 'abnormal');
    const writer = f.t.app.get(RoutingAccessWriter);
    try {
      await withFailingInsert(f.t.app.get(PrismaService), 'access_log', '57P03', async () => {
        const res = await f.lookup({ bindingId: b.id, callerNo: b.phoneB });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ status: 3, dial: b.phoneA });
        await expect(writer.flush()).rejects.toThrow();
        expect(writer.pending).toBe(1);
      });
      const rows = await accessRows(b.id);
      expect(rows).toHaveLength(1);
      expect(writer.pending).toBe(0);
    } finally {
      await queued(b.phoneX!, 'normal');
    }
  });

  it('answers dialling X record nothing', async () => {
    const b = await f.bind();
    const fromProvider = await f.lookup({ bindingId: b.id, callerNo: b.phoneA });
    expect(fromProvider.body).toMatchObject({ status: 1, dial: b.phoneX, source: 'provider' });
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    const local = await f.lookup({ bindingId: b.id, callerNo: b.phoneB });
    expect(local.body).toMatchObject({ status: 1, dial: b.phoneX, source: 'local' });
    expect(f.t.app.get(RoutingAccessWriter).pending).toBe(0);
    expect(await accessRows(b.id)).toEqual([]);
  });

  it('ROUTING_FALLBACK=none: a status-3 answer without a number records nothing', async () => {
    const g = await startRoutingFixture({
      pool: `${POOL}N`,
      env: { ROUTING_CACHE_TTL_MS: '0', ROUTING_FALLBACK: 'none' },
    });
    try {
      await g.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
      const b = await g.bind();
      await g.t.app.get(PrismaService).$executeRaw(Prisma.sql`
        UPDATE secret_numbers SET health = 'abnormal'::number_health, health_source = 'queue'
         WHERE number = ${b.phoneX!}`);
      await g.caughtUp();
      const res = await g.lookup({ bindingId: b.id, callerNo: b.phoneA });
      expect(res.body).toMatchObject({ status: 3, dial: null, action: 'none' });
      expect(g.t.app.get(RoutingAccessWriter).pending).toBe(0);
      await g.t.app.get(RoutingAccessWriter).flush();
      const { rows } = await g.t.app.get(PrismaService).pgPool.query(SELECT_ROWS, [b.id]);
      expect(rows).toEqual([]);
    } finally {
      await g.close();
    }
  });
});

describe('routing answers at shutdown', () => {
  it('SIGTERM writes every fallback answer noted, however recent (a real process)', async () => {
    const db = await createMigratedDatabase();
    const sim = await startTestSimulator({ poolKeys: [`${POOL}S`], ownedPerCity: 0 });
    const lines: string[] = [];
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const service = await startService(
      await benchServiceEnv({
        databaseUrl: db.url,
        providerUrl: sim.url,
        provider: { accessKeyId: SIM_KEY_ID, accessKeySecret: SIM_KEY_SECRET },
        poolKey: `${POOL}S`,
        // The longest interval allowed: SIGTERM comes right after the answers, so the shutdown
        // writes them, not the timer.
        extra: { ROUTING_COUNTS_FLUSH_MS: '5000', ROUTING_CACHE_TTL_MS: '0' },
      }),
      (line) => lines.push(line),
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${lines.join('\n')}`);
    });
    const post = (path: string, body: unknown) =>
      fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BENCH_AUTH },
        body: JSON.stringify(body),
      });
    try {
      expect(
        (await post(`/v1/pools/${POOL}S/numbers`, { spec: 2, city: '杭州', count: 1 })).status,
      ).toBe(201);
      const bound = await post('/v1/bindings', {
        outId: 'access-sigterm-1',
        phoneA: '13800051234',
        phoneB: '13900051234',
        ttlSeconds: 3600,
      });
      expect(bound.status).toBe(201);
      const b = (await bound.json()) as BindingView;
      await sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
      await sql.query(
        `UPDATE secret_numbers SET health = 'abnormal', health_source = 'queue' WHERE number = $1`,
        [b.phoneX],
      );
      const requestIds: string[] = [];
      for (const callerNo of [b.phoneA, b.phoneB]) {
        const res = await post('/v1/routing/lookup', { bindingId: b.id, callerNo });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 3, action: 'dial' });
        requestIds.push(res.headers.get('x-request-id')!);
      }
      const count = async () => (await sql.query(SELECT_ROWS, [b.id])).rows as AccessRow[];

      service.child.kill('SIGTERM');
      await exited(service.child);
      expect(service.child.exitCode).toBe(0);
      const rows = await count();
      expect(rows.map((r) => r.request_id).sort()).toEqual([...requestIds].sort());
      expect(rows.every((r) => r.actor === 'bench' && r.route === ROUTE)).toBe(true);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await sql.end();
      await sim.close();
      await db.drop();
    }
  }, 120_000);
});
