import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

const POOL = 'FCVALIDATION';
let sim: TestSimulator;
let t: TestApp;
let prisma: PrismaService;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL] });
  t = await startTestApp(sim.env);
  prisma = t.app.get(PrismaService);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const valid = {
  outId: 'order-valid-1',
  phoneA: '13800001111',
  phoneB: '13900002222',
  ttlSeconds: 3600,
};
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

type ErrorBody = {
  statusCode: number;
  code: string;
  message: string;
  fields?: Array<{ field: string }>;
};

const bad: Array<[string, Record<string, unknown>, string]> = [
  ['missing outId', { ...valid, outId: undefined }, 'outId'],
  ['outId with spaces', { ...valid, outId: 'order 1' }, 'outId'],
  ['outId too long', { ...valid, outId: 'x'.repeat(65) }, 'outId'],
  ['missing phoneA', { ...valid, phoneA: undefined }, 'phoneA'],
  ['phoneA with a hyphen', { ...valid, phoneA: '138-0000-1111' }, 'phoneA'],
  ['phoneA too short', { ...valid, phoneA: '1380000111' }, 'phoneA'],
  ['phoneB fixed line without area code', { ...valid, phoneB: '88886666' }, 'phoneB'],
  ['phoneB as a number', { ...valid, phoneB: 13900002222 }, 'phoneB'],
  ['A equal to B', { ...valid, phoneB: valid.phoneA }, 'phoneB'],
  ['no expiry', { ...valid, ttlSeconds: undefined }, 'expiresAt'],
  ['both expiry forms', { ...valid, expiresAt: inAnHour() }, 'expiresAt'],
  ['expiry under a minute ahead', { ...valid, ttlSeconds: 30 }, 'ttlSeconds'],
  [
    'expiresAt in the past',
    { ...valid, ttlSeconds: undefined, expiresAt: '2020-01-01T00:00:00Z' },
    'expiresAt',
  ],
  ['expiresAt not ISO', { ...valid, ttlSeconds: undefined, expiresAt: 'tomorrow' }, 'expiresAt'],
  ['expiry beyond the maximum', { ...valid, ttlSeconds: 30 * 24 * 3600 }, 'ttlSeconds'],
  ['ttlSeconds not an integer', { ...valid, ttlSeconds: 99.5 }, 'ttlSeconds'],
  ['record not boolean', { ...valid, record: 'yes' }, 'record'],
  ['bad poolKey', { ...valid, poolKey: 'pool key!' }, 'poolKey'],
  ['bad phoneX', { ...valid, phoneX: 'abc' }, 'phoneX'],
  ['unknown field', { ...valid, driverName: 'Li' }, 'driverName'],
];

describe('POST /v1/bindings rejects bad input with a 400 naming the field, and writes nothing', () => {
  it.each(bad)('%s', async (_, body, field) => {
    const before = await prisma.binding.count();
    const calls = await sim.calls('BindAxb');
    const res = await http<ErrorBody>('POST', `${t.url}/v1/bindings`, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.message).toContain(field);
    expect(res.body.fields?.map((f) => f.field)).toContain(field);
    expect(await prisma.binding.count()).toBe(before);
    expect(await sim.calls('BindAxb')).toBe(calls);
  });

  it('malformed JSON is a 400 INVALID_JSON', async () => {
    const res = await fetch(`${t.url}/v1/bindings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEYS.all}` },
      body: '{"outId": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_JSON');
  });

  it('an unknown pool is a 404 that writes nothing', async () => {
    const before = await prisma.binding.count();
    const res = await http<ErrorBody>('POST', `${t.url}/v1/bindings`, {
      ...valid,
      poolKey: 'NOSUCHPOOL',
    });
    expect(res.status).toBe(404);
    expect(await prisma.binding.count()).toBe(before);
  });
});

describe('other routes validate too', () => {
  it('PATCH names unknown fields and empty changes', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const unknown = await http<ErrorBody>('PATCH', `${t.url}/v1/bindings/${id}`, {
      phoneC: '13800000000',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('phoneC');
    const empty = await http<ErrorBody>('PATCH', `${t.url}/v1/bindings/${id}`, {});
    expect(empty.status).toBe(400);
    const badPhone = await http<ErrorBody>('PATCH', `${t.url}/v1/bindings/${id}`, {
      phoneB: '123',
    });
    expect(badPhone.body.fields?.map((f) => f.field)).toEqual(['phoneB']);
  });

  it('ids must be UUIDs; an unknown binding is a 404', async () => {
    const bad = await http<ErrorBody>('GET', `${t.url}/v1/bindings/not-a-uuid`);
    expect(bad.status).toBe(400);
    expect(bad.body.fields?.[0]?.field).toBe('id');
    const missing = await http<ErrorBody>(
      'GET',
      `${t.url}/v1/bindings/00000000-0000-4000-8000-000000000000`,
    );
    expect(missing.status).toBe(404);
    const del = await http<ErrorBody>(
      'DELETE',
      `${t.url}/v1/bindings/00000000-0000-4000-8000-000000000000`,
    );
    expect(del.status).toBe(404);
  });

  it('search bounds the page size and refuses forged cursors and unknown filters', async () => {
    for (const [query, field] of [
      ['limit=1000', 'limit'],
      ['limit=0', 'limit'],
      ['state=alive', 'state'],
      ['createdFrom=yesterday', 'createdFrom'],
      ['cursor=Zm9vfGJhcg', 'cursor'],
      ['colour=red', 'colour'],
    ] as const) {
      const res = await http<ErrorBody>('GET', `${t.url}/v1/bindings?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toContain(field);
    }
  });

  it('inventory routes name their bad fields', async () => {
    const buy = await http<ErrorBody>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
      spec: 4,
      city: '杭州',
      count: 0,
    });
    expect(buy.status).toBe(400);
    expect(buy.body.fields?.map((f) => f.field).sort()).toEqual(['count', 'spec']);
    const release = await http<ErrorBody>('DELETE', `${t.url}/v1/pools/${POOL}/numbers/abc`);
    expect(release.status).toBe(400);
    expect(release.body.fields?.[0]?.field).toBe('number');
  });
});
