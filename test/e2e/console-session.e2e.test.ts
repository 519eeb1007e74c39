import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ApiKeysRepository } from '../../src/auth/api-keys.repository.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';
import { TEST_KEYS } from '../support/test-keys.js';

const POOL = 'FCCONSOLE';
const A = '13811112222';
const B = '13933334444';
let sim: TestSimulator;
let t: TestApp;
let second: TestApp;
const clock = new TestClock();
let binding: BindingView;

/** Signs in with `key`; returns the cookie pair to send back and the CSRF token. */
async function signIn(key: string = TEST_KEYS.admin) {
  const res = await http<{ csrfToken: string; name: string }>(
    'POST',
    `${t.url}/v1/console/session`,
    { apiKey: key },
    { authorization: '' },
  );
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie')!;
  return { cookie: setCookie.split(';')[0]!, csrf: res.body.csrfToken, setCookie, body: res.body };
}

/** A request authenticated by the cookie alone (no Bearer key). */
function withCookie<T>(
  method: string,
  url: string,
  cookie: string,
  body?: unknown,
  extra: Record<string, string> = {},
) {
  return http<T>(method, url, body, { authorization: '', cookie, ...extra });
}

async function accessRows(id: string): Promise<Array<{ actor: string; route: string }>> {
  const { rows } = await t.app.get(PrismaService).pgPool.query<{
    actor: string;
    route: string;
  }>('SELECT actor, route FROM access_log WHERE $1::uuid = ANY(binding_ids) ORDER BY id', [id]);
  return rows;
}

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(
    {
      ...sim.env,
      CONSOLE_SESSION_IDLE_SECONDS: '600',
      CONSOLE_SESSION_MAX_SECONDS: '3600',
      // The test stands for the TLS-terminating proxy in front (its x-forwarded-proto counts).
      TRUSTED_PROXIES: '127.0.0.1',
    },
    { clock },
  );
  second = await startTestApp({ ...sim.env }, { databaseUrl: t.config.database.url!, clock });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
  binding = (
    await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'console-1',
      phoneA: A,
      phoneB: B,
      ttlSeconds: 3600,
    })
  ).body;
});
afterAll(async () => {
  await second?.app.close();
  await t?.close();
  await sim?.close();
});

describe('console sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict cookie for the whole site and returns a CSRF token', async () => {
    const { setCookie, body, cookie } = await signIn();
    expect(setCookie).toMatch(
      /^axb_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict$/,
    );
    expect(body).toMatchObject({ name: 'ops', roles: ['admin'] });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only a hash of the token is stored.
    const token = cookie.split('=')[1]!;
    const { rows } = await t.app
      .get(PrismaService)
      .pgPool.query<{ token_hash: string }>('SELECT token_hash FROM console_sessions');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('marks the cookie Secure when the request came over HTTPS (as a trusted proxy says)', async () => {
    const res = await http(
      'POST',
      `${t.url}/v1/console/session`,
      { apiKey: TEST_KEYS.admin },
      { authorization: '', 'x-forwarded-proto': 'https' },
    );
    expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses a wrong key (401) and a key without the admin role (403), setting no cookie', async () => {
    const wrong = await http<{ code: string }>(
      'POST',
      `${t.url}/v1/console/session`,
      { apiKey: 'axb_wrongkey_nottherightsecretatall' },
      { authorization: '' },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_API_KEY');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const order = await http<{ code: string }>(
      'POST',
      `${t.url}/v1/console/session`,
      { apiKey: TEST_KEYS.order },
      { authorization: '' },
    );
    expect(order.status).toBe(403);
    expect(order.body.code).toBe('FORBIDDEN_ROLE');
    expect(order.headers.get('set-cookie')).toBeNull();
  });

  it('rejects a body without apiKey with a 400 naming the field', async () => {
    const res = await http<{ code: string; fields: Array<{ field: string }> }>(
      'POST',
      `${t.url}/v1/console/session`,
      {},
      { authorization: '' },
    );
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f) => f.field)).toContain('apiKey');
  });
});

describe('the session cookie on the /v1 API', () => {
  it('reads bindings masked without recording (but a phone search), and in full with an access-log row', async () => {
    const { cookie } = await signIn();
    const masked = await withCookie<{ items: BindingView[] }>(
      'GET',
      `${t.url}/v1/bindings?phone=${A}&view=masked`,
      cookie,
    );
    expect(masked.status).toBe(200);
    expect(masked.body.items.map((b) => [b.phoneA, b.phoneB])).toEqual([
      ['138****2222', '139****4444'],
    ]);
    const maskedOne = await withCookie<BindingView>(
      'GET',
      `${t.url}/v1/bindings/${binding.id}?view=masked`,
      cookie,
    );
    expect(maskedOne.body.phoneA).toBe('138****2222');
    // The masked detail is not recorded; a search by phone number is, masked or not (issue 27).
    const search = { actor: 'ops', route: 'GET /v1/bindings' };
    expect(await accessRows(binding.id)).toEqual([search]);

    const full = await withCookie<BindingView>('GET', `${t.url}/v1/bindings/${binding.id}`, cookie);
    expect([full.body.phoneA, full.body.phoneB]).toEqual([A, B]);
    expect(await accessRows(binding.id)).toEqual([
      search,
      { actor: 'ops', route: 'GET /v1/bindings/:id' },
    ]);
  });

  it('keeps Bearer callers as they were: full numbers, recorded; view is validated', async () => {
    const before = (await accessRows(binding.id)).length;
    const res = await http<{ items: BindingView[] }>('GET', `${t.url}/v1/bindings?outId=console-1`);
    expect(res.body.items[0]!.phoneA).toBe(A);
    expect(await accessRows(binding.id)).toHaveLength(before + 1);
    const bad = await http<{ fields: Array<{ field: string }> }>(
      'GET',
      `${t.url}/v1/bindings?view=raw`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f) => f.field)).toContain('view');
  });

  it('needs the CSRF header for changes, and grants only the admin role', async () => {
    const { cookie, csrf } = await signIn(TEST_KEYS.all);
    const buy = { spec: 2, city: '杭州', count: 1 };
    const url = `${t.url}/v1/pools/${POOL}/numbers`;
    const none = await withCookie<{ code: string }>('POST', url, cookie, buy);
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('CSRF_TOKEN_INVALID');
    const forged = await withCookie<{ code: string }>('POST', url, cookie, buy, {
      'x-csrf-token': 'x'.repeat(43),
    });
    expect(forged.status).toBe(403);
    const numbersBefore = await withCookie<{ items: unknown[] }>('GET', url, cookie);
    expect(numbersBefore.body.items).toHaveLength(1);
    const ok = await withCookie<{ bought: string[] }>('POST', url, cookie, buy, {
      'x-csrf-token': csrf,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.bought).toHaveLength(1);
    // The key behind this session may bind; the session may not: the console does admin work.
    const bind = await withCookie<{ code: string }>(
      'POST',
      `${t.url}/v1/bindings`,
      cookie,
      { outId: 'console-2', phoneA: '13811110000', phoneB: '13911110000', ttlSeconds: 3600 },
      { 'x-csrf-token': csrf },
    );
    expect(bind.status).toBe(403);
    expect(bind.body.code).toBe('FORBIDDEN_ROLE');
  });

  it('is shared by every instance on the database', async () => {
    const { cookie } = await signIn();
    const there = await withCookie<{ name: string }>(
      'GET',
      `${second.url}/v1/console/session`,
      cookie,
    );
    expect(there.status).toBe(200);
    expect(there.body.name).toBe('ops');
  });

  it('ends at sign-out everywhere, and the cookie is cleared', async () => {
    const { cookie } = await signIn();
    const out = await withCookie('DELETE', `${t.url}/v1/console/session`, cookie);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^axb_session=; Path=\/; Max-Age=0; HttpOnly/);
    for (const app of [t, second]) {
      const after = await withCookie<{ code: string }>('GET', `${app.url}/v1/pools`, cookie);
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('SESSION_EXPIRED');
    }
  });

  it('ends after the idle time, slides with use, and never outlives its maximum', async () => {
    const { cookie } = await signIn();
    const get = () => withCookie('GET', `${t.url}/v1/pools`, cookie);
    // Used every 5 minutes: the 10-minute idle limit keeps sliding.
    for (let i = 0; i < 3; i += 1) {
      clock.advance(5 * 60_000);
      expect((await get()).status).toBe(200);
    }
    clock.advance(11 * 60_000);
    expect((await get()).status).toBe(401);

    const busy = await signIn();
    for (let minutes = 0; minutes < 55; minutes += 5) {
      clock.advance(5 * 60_000);
      expect((await withCookie('GET', `${t.url}/v1/pools`, busy.cookie)).status).toBe(200);
    }
    clock.advance(6 * 60_000); // 61 minutes after sign-in: past the 1-hour maximum
    expect((await withCookie('GET', `${t.url}/v1/pools`, busy.cookie)).status).toBe(401);
  });

  it('ends when its key is revoked', async () => {
    const { cookie } = await signIn();
    expect((await withCookie('GET', `${t.url}/v1/pools`, cookie)).status).toBe(200);
    await t.app.get(ApiKeysRepository).revoke('ops', clock.now());
    const after = await withCookie<{ code: string }>('GET', `${t.url}/v1/pools`, cookie);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('SESSION_EXPIRED');
  });
});
