import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplenishmentJob } from '../../src/scheduler/replenishment.job.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCSCHEDREPL';
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let one: TestApp;
let two: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // Two pairs per number: a watermark and target of 7 pairs mean 4 numbers (8 pairs) in all.
  const env = {
    ...sim.env,
    X_MAX_PAIRS: '2',
    REPLENISH_TARGETS: `${POOL}:杭州:2`,
    REPLENISH_WATERMARK_PAIRS: '7',
    REPLENISH_TARGET_PAIRS: '7',
    REPLENISH_MAX_PER_RUN: '3',
  };
  one = await startTestApp(env, { databaseUrl: db.url });
  two = await startTestApp(env, { databaseUrl: db.url });
  await http('PUT', `${one.url}/v1/pools/${POOL}`, {});
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

const held = async () =>
  (
    await sql.query<{ number: string; spec: number; city: string }>(
      `SELECT number, spec, city FROM secret_numbers WHERE pool_key = $1 AND state = 'active'`,
      [POOL],
    )
  ).rows;
const ownedAtProvider = async () =>
  (await sim.control<Array<{ secretNo: string }>>('GET', `/numbers?poolKey=${POOL}`)).map(
    (n) => n.secretNo,
  );

describe('pool replenishment', () => {
  it('a failing run (provider out of numbers) buys nothing and the next run proceeds', async () => {
    await sim.control('POST', '/faults', {
      action: 'BuySecretNo',
      code: 'isv.PHONE_NOT_ENOUGH',
      count: 1,
    });
    expect(await one.app.get(ReplenishmentJob).run()).toMatchObject({ bought: 0, failed: 1 });
    expect(await held()).toHaveLength(0);
  });

  it('buys up to the target and no further, at most the cap per run, even from two instances', async () => {
    // Both instances at once: one holds the lock and buys the capped 3; the other buys only
    // what is still missing after that, if anything, or finds the lock taken.
    const [a, b] = await Promise.all([
      one.app.get(ReplenishmentJob).run(),
      two.app.get(ReplenishmentJob).run(),
    ]);
    expect(a.bought! + b.bought!).toBeLessThanOrEqual(4);
    expect(Math.max(a.bought!, b.bought!)).toBe(3);

    const third = await one.app.get(ReplenishmentJob).run();
    expect(a.bought! + b.bought! + third.bought!).toBe(4);
    // At the target now: nothing more, however often it runs.
    expect(await two.app.get(ReplenishmentJob).run()).toMatchObject({ bought: 0, low: 0 });

    const numbers = await held();
    expect(numbers).toHaveLength(4);
    expect(numbers.every((n) => n.spec === 2 && n.city === '杭州')).toBe(true);
    expect((await ownedAtProvider()).sort()).toEqual(numbers.map((n) => n.number).sort());
  });

  it('buys again once bindings use up capacity below the watermark', async () => {
    for (let i = 0; i < 2; i += 1) {
      const res = await http('POST', `${one.url}/v1/bindings`, {
        poolKey: POOL,
        outId: `repl-${i}`,
        phoneA: `1380003000${i}`,
        phoneB: `1390003000${i}`,
        ttlSeconds: 3600,
      });
      expect(res.status).toBe(201);
    }
    // 8 - 2 = 6 free pairs < 7: one more number brings it to 8.
    expect(await one.app.get(ReplenishmentJob).run()).toMatchObject({ low: 1, bought: 1 });
    expect(await held()).toHaveLength(5);
  });
});
