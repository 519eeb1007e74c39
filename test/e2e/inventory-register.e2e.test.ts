import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/** Registering numbers the account already holds at the provider (bought outside this service). */
const POOL = 'FCREGISTER';
const OTHER = 'FCREGISTEROTHER';
let sim: TestSimulator;
let t: TestApp;
let mine: Array<{ secretNo: string; city: string }>;
let theirs: Array<{ secretNo: string; city: string }>;

type RegisterResult = {
  requested: number;
  registered: string[];
  alreadyHeld: string[];
  refused: Array<{ number: string; code: string; providerCode: string | null }>;
  failure: unknown;
};
type NumberRow = { number: string; spec: number; city: string; state: string };

const held = (poolKey: string) =>
  sim.control<Array<{ secretNo: string; city: string }>>('GET', `/numbers?poolKey=${poolKey}`);
const register = (numbers: unknown, poolKey = POOL) =>
  http<RegisterResult & { code?: string; fields?: Array<{ field: string }> }>(
    'POST',
    `${t.url}/v1/pools/${poolKey}/numbers/register`,
    { numbers },
  );

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL, OTHER], ownedPerCity: 1 });
  t = await startTestApp(sim.env);
  await http('PUT', `${t.url}/v1/pools/${POOL}`, {});
  await http('PUT', `${t.url}/v1/pools/${OTHER}`, {});
  mine = await held(POOL);
  theirs = await held(OTHER);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('POST /v1/pools/{poolKey}/numbers/register', () => {
  it('records each number the provider lists in the pool, with the city the provider reports', async () => {
    const calls = await sim.calls('QuerySecretNoDetail');
    const res = await register(mine.map((n) => n.secretNo));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      requested: mine.length,
      registered: mine.map((n) => n.secretNo),
      alreadyHeld: [],
      refused: [],
      failure: null,
    });
    expect(await sim.calls('QuerySecretNoDetail')).toBe(calls + mine.length);
    const listed = await http<{ items: NumberRow[] }>('GET', `${t.url}/v1/pools/${POOL}/numbers`);
    expect(listed.body.items.map((n) => [n.number, n.city, n.spec, n.state]).sort()).toEqual(
      mine.map((n) => [n.secretNo, n.city, 2, 'active']).sort(),
    );
  });

  it('is idempotent: numbers the pool holds here already are reported as such', async () => {
    const res = await register([mine[0]!.secretNo]);
    expect(res.body).toMatchObject({ registered: [], alreadyHeld: [mine[0]!.secretNo] });
  });

  it('refuses a number the provider does not list in the pool, and records nothing for it', async () => {
    const res = await register([theirs[0]!.secretNo, '13099999999']);
    expect(res.status).toBe(201);
    expect(res.body.registered).toEqual([]);
    expect(res.body.refused).toEqual([
      expect.objectContaining({
        number: theirs[0]!.secretNo,
        code: 'NOT_HELD_AT_PROVIDER',
        providerCode: 'isv.NO_NOT_EXIST',
      }),
      expect.objectContaining({ number: '13099999999', code: 'NOT_HELD_AT_PROVIDER' }),
    ]);
    const listed = await http<{ items: NumberRow[] }>('GET', `${t.url}/v1/pools/${POOL}/numbers`);
    expect(listed.body.items.map((n) => n.number)).not.toContain(theirs[0]!.secretNo);
  });

  it('refuses a number another pool holds here', async () => {
    const number = theirs[1]!.secretNo;
    const sql = new pg.Client({ connectionString: t.config.database.url });
    await sql.connect();
    try {
      await sql.query(
        `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州')`,
        [POOL, number],
      );
    } finally {
      await sql.end();
    }
    const res = await register([number], OTHER);
    expect(res.body.refused).toEqual([
      expect.objectContaining({ number, code: 'HELD_BY_OTHER_POOL' }),
    ]);
  });

  it('validates the body (400 naming the field) and the pool (404), asking the provider nothing', async () => {
    const calls = await sim.calls('QuerySecretNoDetail');
    for (const bad of [[], ['12ab'], 'x', [mine[0]!.secretNo, mine[0]!.secretNo]]) {
      const res = await register(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.fields?.map((f) => f.field)).toContain('numbers');
    }
    expect((await register([mine[0]!.secretNo], 'NOSUCHPOOL')).status).toBe(404);
    expect(await sim.calls('QuerySecretNoDetail')).toBe(calls);
  });

  it('answers the provider failure when the provider cannot be asked, registering nothing', async () => {
    const down = await startTestApp({ ...sim.env, PROVIDER_ENDPOINT: 'http://127.0.0.1:9/' });
    try {
      await http('PUT', `${down.url}/v1/pools/${POOL}`, {});
      const res = await http<{ code: string }>(
        'POST',
        `${down.url}/v1/pools/${POOL}/numbers/register`,
        { numbers: [mine[0]!.secretNo] },
      );
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('PROVIDER_UNREACHABLE');
      const listed = await http<{ items: unknown[] }>(
        'GET',
        `${down.url}/v1/pools/${POOL}/numbers`,
      );
      expect(listed.body.items).toEqual([]);
    } finally {
      await down.close();
    }
  });
});
