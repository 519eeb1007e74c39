import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_AUTH } from '../../bench/support/bench-key.js';
import { benchServiceEnv, exited, startService } from '../../bench/support/child-service.js';
import { OwnedPostgres } from '../../bench/support/owned-postgres.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { RoutedCountsWriter } from '../../src/routing/routed-counts.writer.js';
import { RouteCacheListener } from '../../src/routing/route-cache.listener.js';
import { withFailingInsert } from '../support/db-faults.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { SIM_KEY_ID, SIM_KEY_SECRET } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { until } from '../support/until.js';

/**
 * Routing decisions are counted, never lost and never counted twice, whatever the database does
 * (issues 21.3 and 26.5), on a Postgres this file owns: a write that timed out on a frozen
 * server that then went on is not added again by its retry; decisions wait (bounded) while
 * writes fail, and what is dropped past the bound is said and counted.
 */
const POOL = 'FCCOUNTS';
const QUERY_TIMEOUT_MS = 800;
let pgServer: OwnedPostgres;
let sim: TestSimulator;
let t: TestApp;
let sql: pg.Pool;
const clock = new TestClock();
let logs = '';

beforeAll(async () => {
  pgServer = await OwnedPostgres.start();
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  const url = await pgServer.migratedDatabase('counts');
  sql = new pg.Pool({ connectionString: url, max: 2 });
  sql.on('error', () => undefined);
  t = await startTestApp(
    {
      ...sim.env,
      LOG_LEVEL: 'info',
      DATABASE_CONNECT_TIMEOUT_MS: '600',
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DATABASE_POOL_SIZE: '4',
      // Written only when a test flushes: no timer races the scenario.
      ROUTING_COUNTS_FLUSH_MS: '5000',
      ROUTING_COUNTS_MAX_KEYS: '3',
      ROUTING_CACHE_TTL_MS: '600000',
    },
    {
      clock,
      databaseUrl: url,
      logStream: new Writable({
        write(chunk: Buffer, _enc, done) {
          logs += chunk.toString();
          done();
        },
      }),
    },
  );
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 3 });
});
afterAll(async () => {
  await pgServer?.thaw();
  await t?.close();
  await sql?.end();
  await sim?.close();
  await pgServer?.stop();
});

const writer = () => t.app.get(RoutedCountsWriter);
let seq = 0;
async function bind(): Promise<BindingView> {
  seq += 1;
  const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
    outId: `counts-${seq}`,
    phoneA: `1380003${String(seq).padStart(4, '0')}`,
    phoneB: `1390003${String(seq).padStart(4, '0')}`,
    ttlSeconds: 3600,
  });
  expect(res.status).toBe(201);
  return res.body;
}
const lookup = (b: BindingView, callerNo = b.phoneA) =>
  http('POST', `${t.url}/v1/routing/lookup`, { bindingId: b.id, callerNo });
async function counted(id: string): Promise<number> {
  const { rows } = await sql.query<{ n: string | null }>(
    `SELECT sum(count) AS n FROM routed_counts WHERE binding_id = $1`,
    [id],
  );
  return Number(rows[0]?.n ?? 0);
}

describe('routing decisions of a binding in use', () => {
  it('are counted in full across writes, the idle ones between included, with one event per kind', async () => {
    const b = await bind();
    await t.app.get(RouteCacheListener).caughtUp();
    let answered = 0;
    const look = async (callerNo: string, times: number) => {
      for (let i = 0; i < times; i += 1) {
        const res = await lookup(b, callerNo);
        expect(res.status).toBe(200);
        answered += 1;
      }
    };
    // The first lookup of each caller asks the provider; the others are cache hits, counted on
    // the tally the last hit kept, before and after a write takes it.
    await look(b.phoneA, 1);
    await writer().flush();
    await look(b.phoneA, 4);
    await writer().flush();
    await look(b.phoneB, 4);
    await look(b.phoneA, 2);
    await writer().flush();
    // Writes with nothing counted: the tallies are forgotten; the next hits count afresh.
    await writer().flush();
    await writer().flush();
    await look(b.phoneA, 3);
    await look(b.phoneB, 1);
    await writer().flush();
    expect(writer().pending).toBe(0);
    expect(await counted(b.id)).toBe(answered);
    const { rows } = await sql.query<{ kinds: string; events: string }>(
      `SELECT (SELECT count(*) FROM routed_counts WHERE binding_id = $1) AS kinds,
              (SELECT count(*) FROM binding_events WHERE binding_id = $1 AND kind = 'routed')
                AS events`,
      [b.id],
    );
    expect(Number(rows[0]!.kinds)).toBe(4);
    expect(Number(rows[0]!.events)).toBe(4);
  });
});

describe('routing decisions made in one moment', () => {
  it('are kept as events in the order they were made, whatever the order of their keys', async () => {
    // (Tallies left idle by earlier tests are forgotten by a write with nothing counted.)
    await writer().flush();
    await writer().flush();
    const b = await bind();
    await t.app.get(RouteCacheListener).caughtUp();
    // B before A, and A's provider answer before its cache hit: against the keys' order (the
    // counts are written in key order), and all at the same instant of the test's clock.
    for (const callerNo of [b.phoneB, b.phoneA, b.phoneA]) {
      expect((await lookup(b, callerNo)).status).toBe(200);
    }
    await writer().flush();
    const { rows } = await sql.query<{ caller: string; source: string }>(
      `SELECT details->>'caller' AS caller, details->>'source' AS source FROM binding_events
        WHERE binding_id = $1 AND kind = 'routed' ORDER BY at, id`,
      [b.id],
    );
    expect(rows.map((r) => `${r.caller} ${r.source}`)).toEqual([
      'B provider',
      'A provider',
      'A cache',
    ]);
  });
});

describe('routing decisions while the database is away', () => {
  it('a write that timed out on a frozen server, which then went on, is not counted twice', async () => {
    const b = await bind();
    await t.app.get(RouteCacheListener).caughtUp();
    let answered = 0;
    for (let i = 0; i < 40; i += 1) if ((await lookup(b)).status === 200) answered += 1;
    expect(answered).toBe(40);

    // The batch is sent to a server that stops answering: the client gives up after the timeout,
    // the server runs the statement when it continues.
    await pgServer.freeze();
    await expect(writer().flush()).rejects.toThrow();
    // A minute of outage by the service's clock (its cache is bypassed meanwhile: lookups wait
    // for the database and are refused; none of them is an answer to count).
    clock.advance(60_000);
    await pgServer.thaw();
    await until(
      () =>
        sql.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      (up) => up,
      'the database to answer again',
    );
    await t.app.get(RouteCacheListener).caughtUp();
    for (let i = 0; i < 10; i += 1) if ((await lookup(b)).status === 200) answered += 1;
    await writer().flush();
    expect(writer().pending).toBe(0);
    expect(await counted(b.id)).toBe(answered);
    expect(logs).toContain('Writing routing decision counts failed');
    expect(logs).toContain('Routing decision counts are written again');
  });

  it('waits while writes fail, bounded by ROUTING_COUNTS_MAX_KEYS; what is dropped is said and counted', async () => {
    const bindings = [await bind(), await bind(), await bind(), await bind()];
    await t.app.get(RouteCacheListener).caughtUp();
    const metrics = t.app.get(MetricsService);
    const droppedBefore = (await metrics.routingDecisionsDropped.get()).values[0]?.value ?? 0;
    const answers = new Map<string, number>();
    const prisma = t.app.get(PrismaService);
    await withFailingInsert(prisma, 'routed_count_batches', '57P03', async () => {
      // Three keys fit; the fourth binding's decisions have no room while writes fail.
      for (let round = 0; round < 5; round += 1) {
        for (const b of bindings) {
          const res = await lookup(b);
          expect(res.status).toBe(200);
          answers.set(b.id, (answers.get(b.id) ?? 0) + 1);
        }
        await expect(writer().flush()).rejects.toThrow();
      }
      // The batch that failed first (three keys, one decision each) and the tallies since.
      expect(writer().pending).toBe(6);
    });
    await writer().flush();
    expect(writer().pending).toBe(0);
    for (const b of bindings.slice(0, 3)) expect(await counted(b.id)).toBe(answers.get(b.id));
    expect(await counted(bindings[3]!.id)).toBe(0);
    const dropped = (await metrics.routingDecisionsDropped.get()).values[0]?.value ?? 0;
    expect(dropped - droppedBefore).toBe(5);
    expect(logs).toContain('Routing decisions are being dropped');
    expect(logs).toContain('5 routing decisions were dropped while the database was away');
  });
});

describe('routing decisions of a key kept since its last write', () => {
  it('wait again only within ROUTING_COUNTS_MAX_KEYS, as a new key would', async () => {
    const kept = await bind();
    const others = [await bind(), await bind()];
    await t.app.get(RouteCacheListener).caughtUp();
    const metrics = t.app.get(MetricsService);
    // The provider's answer, then a cache hit whose tally the binding's cache entry keeps: both
    // written, and the tallies stay (nothing waiting on them) until the next write.
    for (let i = 0; i < 2; i += 1) expect((await lookup(kept)).status).toBe(200);
    await writer().flush();
    expect(await counted(kept.id)).toBe(2);
    const droppedBefore = (await metrics.routingDecisionsDropped.get()).values[0]?.value ?? 0;
    // Three keys wait (the bound): a provider answer and a hit of one binding, a provider answer
    // of another. The kept key's next hit would be a fourth.
    for (const b of [others[0]!, others[0]!, others[1]!])
      expect((await lookup(b)).status).toBe(200);
    expect(writer().pending).toBe(3);
    expect((await lookup(kept)).status).toBe(200);
    expect(writer().pending).toBe(3);
    const dropped = (await metrics.routingDecisionsDropped.get()).values[0]?.value ?? 0;
    expect(dropped - droppedBefore).toBe(1);
    await writer().flush();
    expect(await counted(kept.id)).toBe(2);
    expect(await counted(others[0]!.id)).toBe(2);
    expect(await counted(others[1]!.id)).toBe(1);
  });
});

describe('routing decisions at shutdown', () => {
  it('SIGTERM writes every decision counted, however recent (a real process)', async () => {
    const url = await pgServer.migratedDatabase('counts_sigterm');
    const lines: string[] = [];
    const service = await startService(
      await benchServiceEnv({
        databaseUrl: url,
        providerUrl: sim.url,
        provider: { accessKeyId: SIM_KEY_ID, accessKeySecret: SIM_KEY_SECRET },
        poolKey: POOL,
        // No timer writes them first: only the shutdown can.
        extra: { ROUTING_COUNTS_FLUSH_MS: '5000', LOG_LEVEL: 'info' },
      }),
      (line) => lines.push(line),
    );
    const post = (path: string, body: unknown) =>
      fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BENCH_AUTH },
        body: JSON.stringify(body),
      });
    try {
      expect(
        (await post(`/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 })).status,
      ).toBe(201);
      const bound = await post('/v1/bindings', {
        outId: 'sigterm-1',
        phoneA: '13800041234',
        phoneB: '13900041234',
        ttlSeconds: 3600,
      });
      expect(bound.status).toBe(201);
      const b = (await bound.json()) as BindingView;
      let answered = 0;
      for (let i = 0; i < 25; i += 1) {
        const res = await post('/v1/routing/lookup', { bindingId: b.id, callerNo: b.phoneB });
        if (res.status === 200) answered += 1;
      }
      expect(answered).toBe(25);
      service.child.kill('SIGTERM');
      await exited(service.child);
      expect(service.child.exitCode).toBe(0);
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      try {
        const { rows } = await check.query<{ n: string }>(
          `SELECT sum(count) AS n FROM routed_counts WHERE binding_id = $1`,
          [b.id],
        );
        expect(Number(rows[0]!.n)).toBe(answered);
      } finally {
        await check.end();
      }
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  }, 120_000); // a start of the service (up to 30 s) and its shutdown, on a busy machine
});
