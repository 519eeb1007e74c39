import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

/**
 * Issue 27, finding 4 / requirement 5: a search by a full phone number tells whether that number
 * is a party of any binding, so from a masked `138****5678` the number could be recovered by
 * trying candidates. Such searches are recorded like a reveal (masked view or not, found or not)
 * and limited per key on their own.
 */
const POOL = 'FCPHONESEARCH';
const PER_MINUTE = 3;
let sim: TestSimulator;
let t: TestApp;
const clock = new TestClock();
let binding: BindingView;

type Page = { items: BindingView[]; nextCursor: string | null };
type Row = {
  actor: string;
  route: string;
  binding_ids: string[];
  request_id: string;
  search: unknown;
};

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp({ ...sim.env, PHONE_SEARCH_PER_MINUTE: String(PER_MINUTE) }, { clock });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
  const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
    outId: 'phone-search-1',
    phoneA: '13812345678',
    phoneB: '13987654321',
    ttlSeconds: 3600,
  });
  expect(res.status).toBe(201);
  binding = res.body;
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const ops = { authorization: `Bearer ${TEST_KEYS.admin}` };
const search = (query: string, headers: Record<string, string> = ops) =>
  http<Page & { code?: string }>('GET', `${t.url}/v1/bindings?${query}`, undefined, headers);
const accessLog = async (): Promise<Row[]> =>
  (
    await t.app
      .get(PrismaService)
      .pgPool.query<Row>(
        'SELECT actor, route, binding_ids, request_id, search FROM access_log ORDER BY id',
      )
  ).rows;

describe('searching bindings by a full phone number', () => {
  it('is recorded like a reveal, masked view or not, found or not; the number never in clear', async () => {
    const before = (await accessLog()).length;
    const found = await search('phone=13812345678&view=masked');
    expect(found.status).toBe(200);
    expect(found.body.items.map((b) => b.id)).toEqual([binding.id]);
    const missed = await search('phone=13812340000&view=masked');
    expect(missed.body.items).toEqual([]);
    const full = await search(`phone=13987654321&state=active`);
    expect(full.body.items[0]!.phoneB).toBe('13987654321');
    // Searches by other fields keep their rule: a masked one is not recorded.
    expect((await search('outId=phone-search-1&view=masked')).body.items).toHaveLength(1);

    const rows = (await accessLog()).slice(before);
    expect(rows).toEqual([
      {
        actor: 'ops',
        route: 'GET /v1/bindings',
        binding_ids: [binding.id],
        request_id: found.headers.get('x-request-id'),
        search: { phone: '138****5678', view: 'masked' },
      },
      {
        actor: 'ops',
        route: 'GET /v1/bindings',
        binding_ids: [],
        request_id: missed.headers.get('x-request-id'),
        search: { phone: '138****0000', view: 'masked' },
      },
      {
        actor: 'ops',
        route: 'GET /v1/bindings',
        binding_ids: [binding.id],
        request_id: full.headers.get('x-request-id'),
        search: { phone: '139****4321', view: 'full', state: 'active' },
      },
    ]);
    const stored = JSON.stringify(await accessLog());
    for (const number of ['13812345678', '13812340000', '13987654321']) {
      expect(stored).not.toContain(number);
    }
  });

  it('is limited per key on its own: 429 PHONE_SEARCH_RATE_LIMITED with Retry-After, unrecorded', async () => {
    clock.advance(60_000); // the earlier test's searches are paid back
    for (let i = 0; i < PER_MINUTE; i += 1) {
      expect((await search(`phone=1381234${String(i).padStart(4, '0')}&view=masked`)).status).toBe(
        200,
      );
    }
    const before = (await accessLog()).length;
    const refused = await search('phone=13812345678&view=masked');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('PHONE_SEARCH_RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(60 / PER_MINUTE);
    expect(await accessLog()).toHaveLength(before);

    // The key's other reads, and another key's phone searches, go on.
    expect((await search('outId=phone-search-1&view=masked')).status).toBe(200);
    expect((await search('phone=13812345678&view=masked', {})).status).toBe(200);
    // Once the wait is over, one more.
    clock.advance(retryAfter * 1000);
    expect((await search('phone=13812345678&view=masked')).status).toBe(200);
    expect((await search('phone=13812345678&view=masked')).status).toBe(429);
  });
});
