import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import {
  CALLBACK_QUERY,
  HEALTH_PUSH_ON,
  TEST_CALLBACK_SECRET,
  TEST_KEYS,
} from '../support/test-keys.js';

const POOL = 'FCACCESS';
let sim: TestSimulator;
let t: TestApp;
let logs = '';
let binding: BindingView;
const A = '13812345678';
const B = '13987654321';

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  // Debug level: every log line the service can write is scanned below.
  t = await startTestApp(
    { ...sim.env, ...HEALTH_PUSH_ON, LOG_LEVEL: 'debug' },
    { logStream: sink },
  );
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
  binding = (
    await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'access-1',
      phoneA: A,
      phoneB: B,
      ttlSeconds: 3600,
    })
  ).body;
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const ID = '00000000-0000-4000-8000-000000000000';
/** Every keyed route, with the roles that may call it. */
const ROUTES: Array<{
  method: string;
  path: string;
  body?: unknown;
  roles: Array<keyof typeof TEST_KEYS>;
}> = [
  { method: 'POST', path: '/v1/bindings', body: {}, roles: ['order'] },
  { method: 'PATCH', path: `/v1/bindings/${ID}`, body: {}, roles: ['order'] },
  { method: 'DELETE', path: `/v1/bindings/${ID}`, roles: ['order'] },
  { method: 'GET', path: `/v1/bindings/${ID}`, roles: ['admin'] },
  { method: 'GET', path: '/v1/bindings', roles: ['admin'] },
  { method: 'PUT', path: `/v1/pools/${POOL}`, body: {}, roles: ['admin'] },
  { method: 'POST', path: `/v1/pools/${POOL}/numbers`, body: {}, roles: ['admin'] },
  { method: 'DELETE', path: `/v1/pools/${POOL}/numbers/13000000000`, roles: ['admin'] },
  { method: 'GET', path: `/v1/pools/${POOL}/numbers`, roles: ['admin'] },
  { method: 'GET', path: `/v1/pools/${POOL}/stock`, roles: ['admin'] },
  { method: 'POST', path: '/v1/routing/lookup', body: {}, roles: ['routing'] },
  { method: 'POST', path: '/v1/callbacks/call-records', body: [], roles: ['provider'] },
  { method: 'POST', path: '/v1/callbacks/number-health', body: [], roles: ['provider'] },
  { method: 'POST', path: '/v1/admin/jobs/nope', roles: ['admin'] },
  { method: 'GET', path: '/v1/admin/operations', roles: ['admin'] },
  { method: 'GET', path: '/v1/pools', roles: ['admin'] },
  { method: 'GET', path: '/v1/console/session', roles: ['admin'] },
  { method: 'GET', path: '/metrics', roles: ['admin'] },
  { method: 'GET', path: '/docs/json', roles: ['admin'] },
  // Access is decided on the route Fastify matched, after decoding: no way around it.
  { method: 'GET', path: '/%64ocs/json', roles: ['admin'] },
  { method: 'GET', path: '/docs', roles: ['admin'] },
];
const SINGLE = ['order', 'routing', 'admin', 'provider'] as const;

describe('API keys and roles', () => {
  it.each(ROUTES)(
    '$method $path: 401 without a key or with a bad one, 403 with a wrong role',
    async (route) => {
      const url = `${t.url}${route.path}`;
      const none = await http<{ code: string }>(route.method, url, route.body, {
        authorization: '',
      });
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('UNAUTHENTICATED');
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      const forged = await http<{ code: string }>(route.method, url, route.body, {
        authorization: `Bearer ${TEST_KEYS.admin.replace(/k/g, 'q')}`,
      });
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('INVALID_API_KEY');
      for (const role of SINGLE) {
        const res = await http<{ code: string }>(route.method, url, route.body, {
          authorization: `Bearer ${TEST_KEYS[role]}`,
        });
        if (route.roles.includes(role))
          expect([401, 403], `${role} should pass`).not.toContain(res.status);
        else {
          expect(res.status, `${role} should be refused`).toBe(403);
          expect(res.body.code).toBe('FORBIDDEN_ROLE');
        }
      }
    },
  );

  it('leaves liveness and readiness open, with readiness details for keyed callers only', async () => {
    expect(
      (await http('GET', `${t.url}/health/live`, undefined, { authorization: '' })).status,
    ).toBe(200);
    const probe = await http('GET', `${t.url}/health/ready`, undefined, { authorization: '' });
    expect(probe.status).toBe(200);
    expect(probe.body).toEqual({ status: 'ok' });
    const forged = await http('GET', `${t.url}/health/ready`, undefined, {
      authorization: `Bearer ${TEST_KEYS.admin.replace(/k/g, 'q')}`,
    });
    expect(forged.body).toEqual({ status: 'ok' });
    for (const role of SINGLE) {
      const keyed = await http('GET', `${t.url}/health/ready`, undefined, {
        authorization: `Bearer ${TEST_KEYS[role]}`,
      });
      expect(keyed.body).toEqual({ status: 'ok', database: 'up', provider: { circuit: 'closed' } });
    }
  });

  it('authenticates before reading the body: invalid JSON without a key is a 401', async () => {
    for (const route of ROUTES.filter((r) => r.body !== undefined)) {
      const res = await fetch(`${t.url}${route.path}`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        body: '{"outId": ',
      });
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it('stores keys only as hashes', async () => {
    const rows = await t.app
      .get(PrismaService)
      .$queryRawUnsafe<Array<Record<string, unknown>>>(
        'SELECT name, prefix, secret_hash, roles FROM api_keys',
      );
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const dump = JSON.stringify(rows);
    for (const key of Object.values(TEST_KEYS)) {
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(key.split('_')[2]);
    }
    for (const row of rows) expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the key as the actor of the events it causes, and records admin reads', async () => {
    const reads = () =>
      t.app
        .get(PrismaService)
        .$queryRawUnsafe<Array<{ actor: string; route: string }>>(
          'SELECT actor, route FROM access_log WHERE $1::uuid = ANY(binding_ids) ORDER BY id',
          binding.id,
        );
    const before = (await reads()).length;
    const detail = await http<{ events: Array<{ kind: string; actor: string }> }>(
      'GET',
      `${t.url}/v1/bindings/${binding.id}`,
    );
    expect(detail.body.events[0]).toMatchObject({ kind: 'created', actor: 'tester' });
    await http('GET', `${t.url}/v1/bindings/${binding.id}`, undefined, {
      authorization: `Bearer ${TEST_KEYS.admin}`,
    });
    expect((await reads()).slice(before)).toEqual([
      { actor: 'tester', route: 'GET /v1/bindings/:id' },
      { actor: 'ops', route: 'GET /v1/bindings/:id' },
    ]);
  });
});

describe('provider callbacks', () => {
  const post = (query: string, headers: Record<string, string>) =>
    http<{ code: unknown }>('POST', `${t.url}/v1/callbacks/number-health${query}`, [], {
      'x-callback-secret': '',
      ...headers,
    });

  it('need the shared secret as well as a provider key', async () => {
    expect((await post('', { authorization: `Bearer ${TEST_KEYS.provider}` })).status).toBe(403);
    expect(
      (
        await post('', {
          authorization: `Bearer ${TEST_KEYS.provider}`,
          'x-callback-secret': 'wrong',
        })
      ).status,
    ).toBe(403);
    const ok = await post('', {
      authorization: `Bearer ${TEST_KEYS.provider}`,
      'x-callback-secret': TEST_CALLBACK_SECRET,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.code).toBe(0);
  });

  it('accept key and secret in the URL, as the provider can only be given a URL', async () => {
    expect((await post(CALLBACK_QUERY, { authorization: '' })).status).toBe(200);
    expect(
      (await post(`?key=${TEST_KEYS.provider}&secret=nope`, { authorization: '' })).status,
    ).toBe(403);
    expect(
      (await post(`?key=${TEST_KEYS.admin}&secret=${TEST_CALLBACK_SECRET}`, { authorization: '' }))
        .status,
    ).toBe(403);
  });
});

describe('operations', () => {
  it('returns the request id in the header and in every error body', async () => {
    const res = await http<{ requestId: string }>(
      'POST',
      `${t.url}/v1/bindings`,
      { outId: 'x' },
      { 'x-request-id': 'trace-42' },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(res.body.requestId).toBe('trace-42');
    expect(logs).toContain('trace-42');
  });

  it('serves Prometheus metrics with route templates and provider actions', async () => {
    await http('POST', `${t.url}/v1/routing/lookup`, { bindingId: binding.id, callerNo: A });
    await http('POST', `${t.url}/v1/admin/jobs/expiry`);
    const res = await fetch(`${t.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_KEYS.admin}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /axb_http_requests_total\{method="POST",route="\/v1\/bindings",status="201"\} \d+/,
    );
    expect(text).toMatch(/axb_provider_calls_total\{action="BindAxb",code="OK",outcome="ok"\} \d+/);
    expect(text).toMatch(/axb_routing_decisions_total\{status="1",source="provider"\} 1/);
    expect(text).toMatch(/axb_pool_free_pairs\{pool="FCACCESS",city="杭州"\} 399/);
    expect(text).toMatch(/axb_scheduler_runs_total\{job="expiry",result="ok"\} 1/);
    expect(text).not.toContain(A);
  });

  it('serves an OpenAPI document generated from the code, with the error responses', async () => {
    expect((await http('GET', `${t.url}/docs/json`, undefined, { authorization: '' })).status).toBe(
      401,
    );
    const doc = await http<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>('GET', `${t.url}/docs/json`, undefined, { authorization: `Bearer ${TEST_KEYS.admin}` });
    expect(doc.status).toBe(200);
    const bind = doc.body.paths['/v1/bindings']!.post!;
    expect(Object.keys(bind.responses)).toEqual(
      expect.arrayContaining([
        '201',
        '200',
        '400',
        '401',
        '403',
        '409',
        '429',
        '502',
        '503',
        '504',
      ]),
    );
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/bindings/{id}',
        '/v1/pools/{poolKey}/numbers',
        '/v1/routing/lookup',
        '/v1/callbacks/call-records',
      ]),
    );
  });

  it('limits each key: 429 with Retry-After past the burst', async () => {
    const app = await startTestApp({
      ...sim.env,
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '3',
    });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i += 1) {
        const res = await http('GET', `${app.url}/metrics`, undefined, {
          authorization: `Bearer ${TEST_KEYS.admin}`,
        });
        statuses.push(res.status);
        retryAfter ??= res.headers.get('retry-after');
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      expect(
        (
          await http('GET', `${app.url}/metrics`, undefined, {
            authorization: `Bearer ${TEST_KEYS.all}`,
          })
        ).status,
      ).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('privacy', () => {
  it('never logs a full phone number used in a whole scenario, and logs every request id verbatim', async () => {
    const C = '13711112222';
    const D = '057188889999';
    const E = '13744520004';
    const base = t.url;
    const answered: string[] = [];
    const call = async (method: string, url: string, body?: unknown, headers = {}) => {
      const res = await http(method, url, body, headers);
      answered.push(res.headers.get('x-request-id')!);
      return res;
    };
    await call('PATCH', `${base}/v1/bindings/${binding.id}`, { phoneB: C });
    await call('POST', `${base}/v1/routing/lookup`, { bindingId: binding.id, callerNo: C });
    await call('POST', `${base}/v1/routing/lookup`, { bindingId: binding.id, callerNo: D });
    await call('GET', `${base}/v1/bindings?phone=${A}`);
    // Numbers in query strings, with the separators people and URL encoders use.
    for (const q of [
      'phone=137-4452-0004',
      'phone=137+4452+0004',
      'phone=137%204452%200004',
      'outId=137-4452-0004',
      'phoneX=%2B86%20137%204452%200004',
      'createdFrom=13744520004',
      'cursor=0571-8888-9999',
    ])
      await call('GET', `${base}/v1/bindings?${q}`);
    await call('GET', `${base}/v1/pools/FCACCESS/numbers/${E}`); // 404/405: still logged masked
    await call('POST', `${base}/v1/bindings`, {
      outId: 'bad',
      phoneA: D,
      phoneB: D,
      ttlSeconds: 3600,
    });
    await call('POST', `${base}/v1/bindings`, {
      outId: 'access-2',
      phoneA: D,
      phoneB: '13600001111',
      ttlSeconds: 3600,
    });
    await sim.control('POST', '/faults', {
      action: 'BindAxb',
      code: 'isv.MOBILE_NUMBER_ILLEGAL',
      count: 1,
    });
    await call('POST', `${base}/v1/bindings`, {
      outId: 'access-3',
      phoneA: '13600002222',
      phoneB: '13600003333',
      ttlSeconds: 3600,
    });
    await call('DELETE', `${base}/v1/bindings/${binding.id}`);
    // Enough generated ids that many hold long digit runs (masking every 7+ digit run mangled ~15 %).
    for (let i = 0; i < 150; i += 1) await call('GET', `${base}/v1/pools/FCACCESS/stock`);
    await call('GET', `${base}/health/ready`, undefined, { 'x-request-id': 'trace-0571-1234' });

    expect(logs.length).toBeGreaterThan(1000);
    for (const n of [A, B, C, D, E, '13600001111', '13600002222', '13600003333']) {
      expect(logs.includes(n), `${n} appears in the logs`).toBe(false);
    }
    for (const shown of ['137-4452-0004', '137+4452+0004', '137%204452%200004', '0571-8888-9999'])
      expect(logs.includes(shown), `${shown} appears in the logs`).toBe(false);
    expect(logs).toContain('138****5678');
    const missing = answered.filter((id) => !logs.includes(id));
    expect(missing, 'request ids answered but not found verbatim in the log').toEqual([]);
    expect(answered.filter((id) => /\d{7,}/.test(id)).length).toBeGreaterThan(0);
    expect(logs).toContain('FCACCESS');
  });
});
