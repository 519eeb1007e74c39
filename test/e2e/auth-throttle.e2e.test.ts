import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/api-key.js';
import { ApiKeysRepository } from '../../src/auth/api-keys.repository.js';
import { countQueries } from '../support/query-counter.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

/**
 * Issue 27, finding 6 / requirement 7: failed authentication is throttled per client address
 * before any database work, with one log line per address and window; forwarded headers count
 * only from TRUSTED_PROXIES; a revoked key cannot open a console session. Instance 1 trusts no
 * proxy, instance 2 trusts 127.0.0.1 (the test itself); both allow 3 failures a minute.
 */
const LIMIT = 3;
const WINDOW_S = 60;
const clock = new TestClock();
const lines: string[] = [];
let one: TestApp;
let two: TestApp;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const throttle = {
    AUTH_FAILURES_PER_ADDRESS: String(LIMIT),
    AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_S),
    LOG_LEVEL: 'info',
  };
  one = await startTestApp(throttle, { clock, logStream: sink });
  two = await startTestApp(
    { ...throttle, TRUSTED_PROXIES: '127.0.0.1' },
    // One sink for both: Nest's Logger writes through the logger of the instance made last.
    { clock, databaseUrl: one.config.database.url!, logStream: sink },
  );
});
afterAll(async () => {
  await two?.close();
  await one?.close();
});

/** A key of the right shape that no one holds (each one new: the verified-key cache never helps). */
const forged = () => `Bearer ${generateApiKey().key}`;
const pools = (app: TestApp, headers: Record<string, string>) =>
  http<{ code?: string }>('GET', `${app.url}/v1/pools`, undefined, headers);
const signIn = (app: TestApp, apiKey: string, headers: Record<string, string> = {}) =>
  http<{ code?: string }>('POST', `${app.url}/v1/console/session`, { apiKey }, headers);
/** Lets the current windows run out. */
const nextWindow = () => clock.advance(WINDOW_S * 1000);

describe('failed authentication from one address', () => {
  it('is throttled after the limit: 429 AUTH_THROTTLED, no key looked up, one log line', async () => {
    nextWindow();
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await pools(one, { authorization: forged() })).body.code).toBe('INVALID_API_KEY');
    }
    const logged = lines.length;
    const counter = countQueries();
    const refused: Array<Awaited<ReturnType<typeof pools>>> = [];
    for (let i = 0; i < 20; i += 1) refused.push(await pools(one, { authorization: forged() }));
    // A valid key, a console sign-in with it: refused as well, from this address.
    const valid = await pools(one, { authorization: `Bearer ${TEST_KEYS.admin}` });
    const signedIn = await signIn(one, TEST_KEYS.admin);
    const queries = counter.stop();
    for (const res of [...refused, valid, signedIn]) {
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('AUTH_THROTTLED');
      const wait = Number(res.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(WINDOW_S);
    }
    expect(queries.filter((q) => /api_keys|console_sessions/.test(q))).toEqual([]);
    // Health checks still answer the address.
    expect(
      (await http('GET', `${one.url}/health/ready`, undefined, { authorization: '' })).status,
    ).toBe(200);
    // The log: no line per refused attempt; the one line saying the address is throttled came
    // with the last failure.
    const since = lines.slice(logged);
    expect(since.filter((l) => l.includes('"status":429'))).toEqual([]);
    expect(lines.filter((l) => l.includes('127.0.0.1: 3 failed authentications'))).toHaveLength(1);

    nextWindow();
    expect((await pools(one, { authorization: `Bearer ${TEST_KEYS.admin}` })).status).toBe(200);
    // The ended window is summed up in one line.
    expect(lines.filter((l) => l.includes('127.0.0.1: 22 request(s) refused'))).toHaveLength(1);
  });

  it('counts bad console sign-ins and ended sessions too', async () => {
    nextWindow();
    expect((await signIn(one, generateApiKey().key)).body.code).toBe('INVALID_API_KEY');
    const stale = await http<{ code?: string }>('GET', `${one.url}/v1/pools`, undefined, {
      authorization: '',
      cookie: `axb_session=${'s'.repeat(43)}`,
    });
    expect(stale.body.code).toBe('SESSION_EXPIRED');
    expect((await signIn(one, generateApiKey().key)).status).toBe(401);
    expect((await signIn(one, TEST_KEYS.admin)).body.code).toBe('AUTH_THROTTLED');
    nextWindow();
    expect((await signIn(one, TEST_KEYS.admin)).status).toBe(200);
  });
});

describe('forwarded headers', () => {
  it('count only from a trusted proxy: a client cannot pick the address the throttle counts', async () => {
    nextWindow();
    // Instance 1 trusts no proxy: every claimed address is the test's own 127.0.0.1.
    for (let i = 0; i < LIMIT; i += 1) {
      await pools(one, { authorization: forged(), 'x-forwarded-for': `10.0.0.${i + 1}` });
    }
    const elsewhere = await pools(one, { authorization: forged(), 'x-forwarded-for': '10.9.9.9' });
    expect(elsewhere.body.code).toBe('AUTH_THROTTLED');

    // Instance 2 trusts 127.0.0.1: the address its proxy reports is the one counted.
    for (let i = 0; i < LIMIT; i += 1) {
      await pools(two, { authorization: forged(), 'x-forwarded-for': '10.0.0.1' });
    }
    expect(
      (await pools(two, { authorization: forged(), 'x-forwarded-for': '10.0.0.1' })).body.code,
    ).toBe('AUTH_THROTTLED');
    const other = await pools(two, { authorization: forged(), 'x-forwarded-for': '10.0.0.2' });
    expect(other.body.code).toBe('INVALID_API_KEY');
    nextWindow();
  });

  it('count only from a trusted proxy: x-forwarded-proto decides the cookie’s Secure flag there only', async () => {
    nextWindow();
    const https = { 'x-forwarded-proto': 'https' };
    const cookie = (res: { headers: Headers }) => res.headers.get('set-cookie') ?? '';
    const untrusted = await signIn(one, TEST_KEYS.admin, https);
    expect(untrusted.status).toBe(200);
    expect(cookie(untrusted)).not.toMatch(/;\s*Secure/i);
    const trusted = await signIn(two, TEST_KEYS.admin, https);
    expect(cookie(trusted)).toMatch(/;\s*Secure/i);
    expect(cookie(await signIn(two, TEST_KEYS.admin))).not.toMatch(/;\s*Secure/i);
  });
});

describe('a revoked key', () => {
  it('cannot sign in to the console, even while the verified-key cache still holds it', async () => {
    nextWindow();
    const keys = one.app.get(ApiKeysRepository);
    const { key, prefix, secretHash } = generateApiKey();
    await keys.store(
      { name: 'soon-revoked', prefix, secretHash, roles: ['admin'], group: null, source: 'cli' },
      clock.now(),
    );
    // Used once: verified, and cached for 30 s.
    expect((await pools(one, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect(await keys.revoke('soon-revoked', clock.now())).toBe(1);
    const res = await signIn(one, key);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_API_KEY');
  });
});
