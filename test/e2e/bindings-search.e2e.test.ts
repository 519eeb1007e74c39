import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCSEARCH';
let sim: TestSimulator;
let t: TestApp;
const clock = new TestClock();
const created: BindingView[] = [];
let midpoint: string;

type Page = { items: BindingView[]; nextCursor: string | null };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(sim.env, { clock });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 3 });
  const parties = [
    ['13800000001', '13900000001'],
    ['13800000002', '13900000002'],
    ['13800000001', '13900000003'],
    ['13800000004', '13800000001'],
    ['13800000005', '13900000005'],
    ['13800000006', '13900000006'],
    ['13800000007', '13900000007'],
  ];
  for (const [i, [phoneA, phoneB]] of parties.entries()) {
    if (i === 4) midpoint = clock.now().toISOString();
    const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: `search-${i}`,
      phoneA,
      phoneB,
      ttlSeconds: 86400,
    });
    expect(res.status).toBe(201);
    created.push(res.body);
    clock.advance(60_000);
  }
  await http('DELETE', `${t.url}/v1/bindings/${created[1]!.id}`);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const search = (query: string) => http<Page>('GET', `${t.url}/v1/bindings?${query}`);
const ids = (page: Page) => page.items.map((b) => b.id);
const newestFirst = (list: BindingView[]) => [...list].reverse().map((b) => b.id);

describe('GET /v1/bindings', () => {
  it('finds an order by outId', async () => {
    expect(ids((await search('outId=search-3')).body)).toEqual([created[3]!.id]);
  });

  it('finds a phone number as A or as B, newest first', async () => {
    expect(ids((await search('phone=13800000001')).body)).toEqual(
      newestFirst([created[0]!, created[2]!, created[3]!]),
    );
  });

  it('filters by X and by state', async () => {
    const x = created[0]!.phoneX!;
    const byX = (await search(`phoneX=${x}`)).body;
    expect(byX.items.length).toBeGreaterThan(0);
    expect(byX.items.every((b) => b.phoneX === x)).toBe(true);
    expect(ids((await search('state=unbound')).body)).toEqual([created[1]!.id]);
  });

  it('filters by a created-at range', async () => {
    expect(ids((await search(`createdFrom=${encodeURIComponent(midpoint)}`)).body)).toEqual(
      newestFirst(created.slice(4)),
    );
    expect(ids((await search(`createdTo=${encodeURIComponent(midpoint)}`)).body)).toEqual(
      newestFirst(created.slice(0, 4)),
    );
  });

  it('pages with a cursor through everything exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const res: { body: Page } = await search(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(res.body));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(newestFirst(created));
  });

  it('combines filters', async () => {
    expect(ids((await search('phone=13800000001&state=active&limit=1')).body)).toEqual([
      created[3]!.id,
    ]);
  });
});
