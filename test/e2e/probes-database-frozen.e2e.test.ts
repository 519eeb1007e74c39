import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OwnedPostgres } from '../../bench/support/owned-postgres.js';
import { generateApiKey } from '../../src/auth/api-key.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';

/**
 * The health probes while the database is frozen (SIGSTOP on a Postgres this file owns: its
 * connections stay open and nothing answers), whatever credentials come with them. The verified-key
 * cache (30 s) is run out by the clock, so a keyed probe's key can only be checked in the
 * database. Probes must not wait for that: liveness answers at once and readiness within its 2 s.
 * The database timeouts are the defaults (5 s to connect, 10 s a statement), so a probe that
 * waited on the key lookup would take 5–12 s.
 */
const READINESS_MS = 2000;
/** Generous for a busy 2-core machine (the target is 50 ms), far below a key lookup's 5–10 s. */
const LIVE_BOUND_MS = 1000;
/** Readiness's own 2 s plus as much again for a busy machine; a key lookup first took 7–12 s. */
const READY_BOUND_MS = READINESS_MS + 1500;
const KEY_CACHE_MS = 30_000;

let pgServer: OwnedPostgres;
let clock: TestClock;
let t: TestApp;
let cookie: string;
const report: string[] = [];

beforeAll(async () => {
  pgServer = await OwnedPostgres.start();
  const url = await pgServer.migratedDatabase('probes');
  clock = new TestClock();
  // Default DATABASE_CONNECT_TIMEOUT_MS / DATABASE_QUERY_TIMEOUT_MS on purpose (see above).
  t = await startTestApp({}, { clock, databaseUrl: url });
  const signIn = await http(
    'POST',
    `${t.url}/v1/console/session`,
    { apiKey: TEST_KEYS.admin },
    {
      authorization: '',
    },
  );
  expect(signIn.status).toBe(200);
  cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
});
afterEach(async () => {
  await pgServer.thaw();
});
afterAll(async () => {
  console.log(`\nprobes while the database is frozen (ms):\n${report.join('\n')}`);
  await t?.close();
  await pgServer?.stop();
});

type ProbeBody = { status?: string; code?: string; database?: string; provider?: unknown };

/** A well-formed key this instance has never verified: only the database can say. */
const unknownKey = generateApiKey().key;

/** Every probe with every kind of caller, all at once, each timed on its own. */
async function probeAll() {
  const callers: Record<string, Record<string, string>> = {
    anonymous: { authorization: '' },
    keyed: {},
    'console cookie': { authorization: '', cookie },
    'unknown key': { authorization: `Bearer ${unknownKey}` },
  };
  const calls = Object.entries(callers).flatMap(([who, headers]) =>
    (['live', 'ready'] as const).map(async (probe) => {
      const started = performance.now();
      const res = await http<ProbeBody>('GET', `${t.url}/health/${probe}`, undefined, headers);
      return { probe, who, ...res, ms: performance.now() - started };
    }),
  );
  return Promise.all(calls);
}

describe('health probes while the database is frozen', () => {
  it('answer within their bounds whatever credentials they carry, with the key cache run out', async () => {
    // The keyed caller's key is verified (and cached) while the database answers.
    const warm = await http<ProbeBody>('GET', `${t.url}/health/ready`);
    expect(warm.body).toMatchObject({ status: 'ok', database: 'up' });

    await pgServer.freeze();
    // Cached key: the keyed caller still gets readiness's details, in time.
    const cached = await probeAll();
    clock.advance(KEY_CACHE_MS + 1000);
    // The cache has run out: checking the key needs the frozen database.
    const expired = await probeAll();

    for (const [phase, answers] of [
      ['key cached', cached],
      ['key cache run out', expired],
    ] as const) {
      for (const a of answers) {
        report.push(
          `${phase.padEnd(18)} ${a.probe.padEnd(5)} ${a.who.padEnd(15)} ${a.status} ${Math.round(a.ms)}`,
        );
        const what = `${phase}: /health/${a.probe} (${a.who}) took ${Math.round(a.ms)} ms`;
        if (a.probe === 'live') {
          expect(a.status, what).toBe(200);
          expect(a.ms, what).toBeLessThan(LIVE_BOUND_MS);
        } else {
          expect(a.status, what).toBe(503);
          expect(a.body.code, what).toBe('NOT_READY');
          expect(a.ms, what).toBeLessThan(READY_BOUND_MS);
        }
      }
    }
    // Details only for a caller known in time: the cached key, not the one that needs a lookup.
    const ready = (answers: typeof cached, who: string) =>
      answers.find((a) => a.probe === 'ready' && a.who === who)!.body;
    expect(ready(cached, 'keyed')).toMatchObject({ database: 'down' });
    expect(ready(expired, 'keyed').database).toBeUndefined();
    expect(ready(cached, 'anonymous').database).toBeUndefined();

    await pgServer.thaw();
    // Back: readiness is 200 again and the keyed caller gets its details (key looked up again).
    const back = await until(
      () => http<ProbeBody>('GET', `${t.url}/health/ready`),
      (r) => r.status === 200,
      'readiness after the thaw',
      { tries: 300, everyMs: 50 },
    );
    expect(back.body).toMatchObject({
      status: 'ok',
      database: 'up',
      provider: { circuit: 'closed' },
    });
  });
});
