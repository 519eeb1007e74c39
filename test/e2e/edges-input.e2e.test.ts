import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteAccessTable } from '../../src/auth/route-access.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { HEALTH_PUSH_ON, TEST_CALLBACK_SECRET, TEST_KEYS } from '../support/test-keys.js';

/**
 * Bad input, by class, over every route the service has (read from the access table, so a new
 * route is covered without editing this file): each answer is a 4xx in the documented shape
 * (`code`, `requestId` equal to the x-request-id header), bounded in size, and changes nothing.
 */
const POOL = 'FCEDGES';
const ZERO_ID = '00000000-0000-4000-8000-000000000000';
let sim: TestSimulator;
let t: TestApp;
let routes: Array<{ method: string; path: string; rawStrings: boolean }>;

interface Answer {
  status: number;
  body: { code?: string; requestId?: string; fields?: Array<{ field: string }>; message?: string };
  bytes: number;
  headers: Headers;
}

/** Requests tried and statuses seen per class, printed at the end (the closing note's table). */
const tally = new Map<string, { requests: number; statuses: Map<number, number> }>();

async function send(
  kind: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(`${t.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_KEYS.all}`,
      'x-callback-secret': TEST_CALLBACK_SECRET,
      ...headers,
    },
    body,
  });
  const text = await res.text();
  const entry = tally.get(kind) ?? { requests: 0, statuses: new Map<number, number>() };
  entry.requests += 1;
  entry.statuses.set(res.status, (entry.statuses.get(res.status) ?? 0) + 1);
  tally.set(kind, entry);
  const answer: Answer = {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : {},
    bytes: Buffer.byteLength(text),
    headers: res.headers,
  };
  const where = `${kind}: ${method} ${path}`;
  expect(answer.status, where).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(typeof answer.body.code, `${where} has a code`).toBe('string');
    expect(answer.body.requestId, `${where} has the request id`).toBe(
      res.headers.get('x-request-id'),
    );
    expect(answer.bytes, `${where} answer size`).toBeLessThan(16 * 1024);
  }
  return answer;
}

const json = (value: unknown) => JSON.stringify(value);

/** fetch, except that a GET may carry a body (fetch refuses), as many HTTP clients send one. */
async function request(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: Headers; text: () => Promise<string> }> {
  if (init.method !== 'GET' || init.body === undefined) return fetch(url, init);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (typeof v === 'string') headers.set(k, v);
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers, text: async () => text });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
const JSON_TYPE = { 'content-type': 'application/json' };
/** Provider pushes have their own, larger body limit (CALLBACK_BODY_LIMIT_BYTES). */
const PUSH_LIMIT = 512 * 1024;
const hasBody = (method: string) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);

let bindingsBefore = 0;
beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL] });
  t = await startTestApp({
    ...sim.env,
    ...HEALTH_PUSH_ON,
    CALLBACK_BODY_LIMIT_BYTES: String(PUSH_LIMIT),
  });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
  const fill: Record<string, string> = {
    ':id': ZERO_ID,
    ':poolKey': POOL,
    ':number': '13000000000',
    ':name': 'expiry',
  };
  routes = t.app
    .get(RouteAccessTable)
    .routes()
    .filter((r) => !r.access.public)
    .map((r) => ({
      method: r.method,
      path: r.url.replace(/:[A-Za-z]+/g, (p) => fill[p] ?? 'x'),
      rawStrings: r.url.startsWith('/v1/callbacks/'),
    }));
  bindingsBefore = await t.app.get(PrismaService).binding.count();
});
afterAll(async () => {
  const rows = [...tally].map(
    ([kind, { requests, statuses }]) =>
      `| ${kind} | ${requests} | ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')} |`,
  );
  console.log(`| class | requests | statuses |\n|---|---|---|\n${rows.join('\n')}`);
  await t?.close();
  await sim?.close();
});

describe('every route', () => {
  it('covers the routes of the service', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toContain('POST /v1/bindings');
  });

  it('accepts only application/json bodies (415 otherwise)', async () => {
    const others: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'outId=a&phoneA=13800000001'],
      ['text/plain', '{"outId":"a"}'],
      ['application/xml', '<a/>'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/json-patch+json', '[]'],
    ];
    for (const route of routes.filter((r) => hasBody(r.method)))
      for (const [type, body] of others) {
        const res = await send('content type other than JSON', route.method, route.path, body, {
          'content-type': type,
        });
        expect(res.status, `${route.method} ${route.path} ${type}`).toBe(415);
        expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
  });

  it('refuses JSON nested deeper than the limit before anything parses it', async () => {
    for (const route of routes.filter((r) => hasBody(r.method)))
      for (const depth of [33, 5_000, 60_000]) {
        const body = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        const res = await send('nesting 33–60,000 deep', route.method, route.path, body, JSON_TYPE);
        expect(res.status, `${route.method} ${route.path} ${depth}`).toBe(400);
        expect(res.body.code).toBe('BODY_TOO_DEEP');
      }
  });

  it('answers invalid JSON and invalid UTF-8 with 400 INVALID_JSON', async () => {
    const bad: Array<string | Buffer> = [
      '{"outId": ',
      '{outId: 1}',
      "{'a': 1}",
      '[1,]',
      '{"a":"b\u0000"}', // a raw control character inside a string
      'NaN',
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    ];
    for (const route of routes.filter((r) => hasBody(r.method)))
      for (const body of bad) {
        const res = await send('invalid JSON / UTF-8', route.method, route.path, body, JSON_TYPE);
        expect(res.status, `${route.method} ${route.path}`).toBe(400);
        expect(res.body.code).toBe('INVALID_JSON');
      }
  });

  it('refuses NUL and lone surrogates in any string, naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['{"outId":"a\\u0000b"}', 'outId'],
      ['{"phoneA":"\\ud800"}', 'phoneA'],
      ['{"city":"x\\udc00y"}', 'city'],
      ['{"x":{"y":["ok","\\udbff"]}}', 'x.y[1]'],
      ['{"a\\u0000":1}', 'a\u0000'],
      ['["\\u0000"]', '[0]'],
    ];
    // Provider pushes take strings as they come and check each record (issue 15's part).
    for (const route of routes.filter((r) => hasBody(r.method) && !r.rawStrings))
      for (const [body, field] of cases) {
        const res = await send('NUL / lone surrogate', route.method, route.path, body, JSON_TYPE);
        expect(res.status, `${route.method} ${route.path} ${body}`).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.fields?.map((f) => f.field)).toContain(field);
      }
  });

  it('lets provider pushes take raw strings: the policy does not refuse them, the route decides', async () => {
    const pushes = routes.filter((r) => r.rawStrings);
    expect(pushes.map((r) => r.path).sort()).toEqual([
      '/v1/callbacks/asr-reports',
      '/v1/callbacks/call-records',
      '/v1/callbacks/number-health',
      '/v1/callbacks/recordings',
    ]);
    for (const route of pushes) {
      const res = await fetch(`${t.url}${route.path}`, {
        method: route.method,
        headers: {
          authorization: `Bearer ${TEST_KEYS.all}`,
          'x-callback-secret': TEST_CALLBACK_SECRET,
          ...JSON_TYPE,
        },
        body: '[{"secretNo":"\\u0000","note":"\\ud800"}]',
      });
      const body = (await res.json()) as Answer['body'] & { code: unknown };
      // Each record is judged on its own (an unreadable one is dead-lettered): the push is acknowledged.
      expect(res.status, route.path).toBe(200);
      expect(body.code).toBe(0);
      expect(body.fields?.map((f) => f.field) ?? []).not.toContain('[0].secretNo');
      expect(body.fields?.map((f) => f.field) ?? []).not.toContain('[0].note');
    }
  });

  it('never takes Object.prototype member names for fields, in bodies or queries', async () => {
    const names = [
      'toString',
      'hasOwnProperty',
      'valueOf',
      'constructor',
      '__proto__',
      'isPrototypeOf',
      '__defineGetter__',
    ];
    for (const route of routes)
      for (const name of names) {
        if (hasBody(route.method)) {
          const body = `{"${name}":{"polluted":true}}`;
          const res = await send('Object.prototype names', route.method, route.path, body, {
            ...JSON_TYPE,
          });
          expect(res.status, `${route.method} ${route.path} ${name}`).toBe(400);
          expect(res.body.fields?.map((f) => f.field)).toContain(name);
        }
        const sep = route.path.includes('?') ? '&' : '?';
        const q = await send(
          'Object.prototype names',
          route.method,
          `${route.path}${sep}${name}=1`,
        );
        expect(q.status, `${route.method} ${route.path}?${name}`).toBe(400);
        expect(q.body.fields?.map((f) => f.field)).toContain(name);
      }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('treats an empty body with content-type: application/json as no body', async () => {
    for (const route of routes.filter((r) => ['GET', 'DELETE'].includes(r.method))) {
      const plain = await send('empty JSON body on GET/DELETE', route.method, route.path);
      const empty = await send('empty JSON body on GET/DELETE', route.method, route.path, '', {
        ...JSON_TYPE,
      });
      expect(empty.status, `${route.method} ${route.path}`).toBe(plain.status);
      expect(empty.body.code).toBe(plain.body.code);
    }
  });

  it('keeps the answer to a large invalid body small', async () => {
    const fields = Object.fromEntries(
      Array.from({ length: 9_400 }, (_, i) => [`f${i}`, '13800000000']),
    );
    const body = json(fields);
    expect(body.length).toBeGreaterThan(200_000);
    for (const route of routes.filter((r) => hasBody(r.method) && r.method !== 'DELETE')) {
      const res = await send('200 KB invalid body', route.method, route.path, body, JSON_TYPE);
      // The job trigger takes no body and ignores one; every other route validates it.
      if (!route.path.startsWith('/v1/admin/jobs/'))
        expect(res.status, `${route.method} ${route.path}`).toBe(400);
      expect(res.bytes).toBeLessThan(8 * 1024);
    }
  });

  it('refuses a body over the limit with 413 (provider pushes: over their own limit)', async () => {
    const body = json({ outId: 'x'.repeat(300 * 1024) });
    for (const route of routes.filter((r) => hasBody(r.method) && !r.rawStrings)) {
      const res = await send('body over 256 KB', route.method, route.path, body, JSON_TYPE);
      expect(res.status, `${route.method} ${route.path}`).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    }
    const push = json([{ call_id: 'x'.repeat(300 * 1024) }]);
    const tooBig = json([{ call_id: 'x'.repeat(PUSH_LIMIT) }]);
    for (const route of routes.filter((r) => r.rawStrings)) {
      const res = await send('push over 256 KB', route.method, route.path, push, JSON_TYPE);
      expect(res.status, `${route.method} ${route.path}`).toBe(200);
      const over = await send('push over its limit', route.method, route.path, tooBig, JSON_TYPE);
      expect(over.status, `${route.method} ${route.path}`).toBe(413);
      expect(over.body.code).toBe('PAYLOAD_TOO_LARGE');
    }
  });

  it('answers unknown routes with 404 and known paths with another method with 405 + Allow', async () => {
    for (const path of ['/nope', '/v1', '/v1/bindings/x/y', '/docs2', '/%2e%2e/etc/passwd']) {
      const res = await send('unknown route / method', 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    for (const [method, path] of [
      ['PUT', '/v1/bindings'],
      ['POST', `/v1/bindings/${ZERO_ID}`],
      ['DELETE', '/v1/routing/lookup'],
      ['PATCH', '/metrics'],
    ] as const) {
      const res = await send('unknown route / method', method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toBeTruthy();
    }
  });
});

/** now + 1 h written with the given offset (minutes east of UTC) and fraction. */
function inAnHour(offsetMinutes: number, fraction = ''): string {
  const local = new Date(Date.now() + 3_600_000 + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local.toISOString().slice(0, 19)}${fraction}${zone}`;
}

describe('dates: one strict RFC 3339 parser for expiresAt, createdFrom and createdTo', () => {
  const year = new Date().getUTCFullYear() + 1;
  const BAD = [
    `${year}-W48-1T12:00:00Z`, // ISO week date
    `${year}-334T12:00:00Z`, // ordinal date
    `${year}1130T120000Z`, // basic format
    `${year}-11-30T12Z`, // hour only
    `${year}-11-30T12:00Z`, // no seconds
    `${year}-11-30T12:00:00+08`, // offset without minutes
    `${year}-11-30T12:00:00+0800`, // offset without colon
    `${year}-11-30T12:00:00,5Z`, // comma fraction
    `${year}-11-30 12:00:00Z`, // space separator
    `${year}-11-30t12:00:00z`, // lower case
    `${year}-11-30T12:00:00`, // no offset
    `${year}-11-30`, // date only
    `${year}-13-01T00:00:00Z`,
    `${year}-02-30T00:00:00Z`,
    `${year}-11-30T24:00:00Z`,
    `${year}-11-30T12:60:00Z`,
    `${year}-11-30T12:00:60Z`, // leap second
    `${year}-11-30T12:00:00+24:00`,
    '+275760-09-13T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '0000-01-01T00:00:00Z',
    `${year}-11-30T12:00:00.1234567890Z`,
    'tomorrow',
    '1764504000',
  ];
  const targets: Array<{ name: string; field: string; call: (v: string) => Promise<Answer> }> = [
    {
      name: 'POST',
      field: 'expiresAt',
      call: (v) =>
        send(
          'dates JavaScript parses loosely',
          'POST',
          '/v1/bindings',
          json({ outId: 'date-bad', phoneA: '13800001111', phoneB: '13900002222', expiresAt: v }),
          JSON_TYPE,
        ),
    },
    {
      name: 'PATCH',
      field: 'expiresAt',
      call: (v) =>
        send(
          'dates JavaScript parses loosely',
          'PATCH',
          `/v1/bindings/${ZERO_ID}`,
          json({ expiresAt: v }),
          JSON_TYPE,
        ),
    },
    ...(['createdFrom', 'createdTo'] as const).map((field) => ({
      name: 'GET',
      field,
      call: (v: string) =>
        send(
          'dates JavaScript parses loosely',
          'GET',
          `/v1/bindings?${field}=${encodeURIComponent(v)}`,
        ),
    })),
  ];

  it.each(targets.map((x) => [`${x.name} ${x.field}`, x] as const))(
    '%s: 400 naming the field for every form but RFC 3339',
    async (_, target) => {
      for (const value of BAD) {
        const res = await target.call(value);
        expect(res.status, `${target.field}=${value}`).toBe(400);
        expect(
          res.body.fields?.map((f) => f.field),
          value,
        ).toContain(target.field);
      }
    },
  );

  it('accepts RFC 3339 with any offset and up to nine fraction digits', async () => {
    const good = [
      inAnHour(0),
      inAnHour(480),
      inAnHour(-330),
      inAnHour(0, '.5'),
      inAnHour(480, '.123456789'),
    ];
    for (const [i, expiresAt] of good.entries()) {
      const res = await send(
        'valid RFC 3339 dates',
        'POST',
        '/v1/bindings',
        json({
          outId: `date-ok-${i}`,
          phoneA: `1380000100${i}`,
          phoneB: `1390000100${i}`,
          expiresAt,
        }),
        JSON_TYPE,
      );
      expect(res.status, expiresAt).toBe(201);
      const search = await send(
        'valid RFC 3339 dates',
        'GET',
        `/v1/bindings?createdTo=${encodeURIComponent(expiresAt)}`,
      );
      expect(search.status).toBe(200);
    }
  });

  it('never answers 5xx to any string or date-like string (property)', async () => {
    const dateLike = fc
      .tuple(
        fc.integer({ min: -300000, max: 300000 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom('Z', '+08', '+08:00', '-99:99', '', 'z', '+0800'),
        fc.constantFrom('T', ' ', 't', 'W'),
      )
      .map(
        ([y, mo, d, h, zone, sep]) =>
          `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}${sep}${String(h).padStart(2, '0')}:00:00${zone}`,
      );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), dateLike), async (value) => {
        for (const target of targets) await target.call(value);
      }),
      { numRuns: 60 },
    );
  });
});

describe('cursors are opaque and checked', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  it('refuses crafted cursors with 400, never 500', async () => {
    const crafted = [
      b64('-271821-04-20T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('2026-01-01T00:00:00.000Z|------------------------------------'),
      b64('2026-01-01T00:00:00.000Z|zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'),
      b64('2026-02-30T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('2026-01-01|00000000-0000-4000-8000-000000000000'),
      b64('2026-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000|x'),
      b64('2026-01-01T00:00:00.000Z\u0000|00000000-0000-4000-8000-000000000000'),
      'not base64 !',
      '%00',
      'Zm9vfGJhcg',
    ];
    for (const cursor of crafted) {
      const res = await send(
        'crafted cursors',
        'GET',
        `/v1/bindings?cursor=${encodeURIComponent(cursor)}`,
      );
      expect(res.status, cursor).toBe(400);
      expect(res.body.fields?.map((f) => f.field)).toContain('cursor');
    }
  });

  it('accepts the cursors it issues, and never 5xx for arbitrary ones (property)', async () => {
    const first = await send('crafted cursors', 'GET', '/v1/bindings?limit=1');
    const next = (first.body as { nextCursor?: string }).nextCursor;
    expect(next).toBeTruthy();
    expect((await send('crafted cursors', 'GET', `/v1/bindings?cursor=${next}`)).status).toBe(200);
    const inside = fc
      .tuple(
        fc.oneof(fc.date({ noInvalidDate: false }).map(String), fc.string()),
        fc.oneof(fc.uuid(), fc.string()),
      )
      .map(([at, id]) => b64(`${at}|${id}`));
    await fc.assert(
      fc.asyncProperty(fc.oneof(inside, fc.base64String(), fc.string()), async (cursor) => {
        await send('crafted cursors', 'GET', `/v1/bindings?cursor=${encodeURIComponent(cursor)}`);
      }),
      { numRuns: 60 },
    );
  });
});

describe('nothing changed', () => {
  it('wrote no binding for any refused request', async () => {
    // Only the five valid dates above bound anything.
    expect(await t.app.get(PrismaService).binding.count()).toBe(bindingsBefore + 5);
  });
});
