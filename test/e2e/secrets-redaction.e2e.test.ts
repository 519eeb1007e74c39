import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { HEALTH_PUSH_ON, TEST_CALLBACK_SECRET, TEST_KEYS } from '../support/test-keys.js';

/**
 * Issue 27, finding 1: no key or secret reaches the log, a metric or an error body, whatever route,
 * parameter or header carries it. A whole scenario sends every credential everywhere (query
 * strings of known, unknown, refused and malformed requests, headers, provider pushes), then the
 * log, every answer and /metrics are scanned for each credential's secret part.
 */
const FOREIGN_TOKEN = 'tok-9f8e7d6c5b4a39281706';
const FOREIGN_SIGNATURE = 'sig-Zq1Wx2Ec3Rv4Tb5Yn6';
const BAD_KEY = `axb_badkey00_${'b'.repeat(20)}notavalidsecret`;
/** The part of each credential that must never be shown (a key's prefix may be: it names it). */
const SECRETS = [
  ...Object.values(TEST_KEYS).map((k) => k.split('_').slice(2).join('_')),
  BAD_KEY.split('_').slice(2).join('_'),
  TEST_CALLBACK_SECRET,
  FOREIGN_TOKEN,
  FOREIGN_SIGNATURE,
];

let sim: TestSimulator;
let t: TestApp;
let logs = '';
const answers: string[] = [];

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: ['FCSECRET'], ownedPerCity: 0 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  t = await startTestApp(
    { ...sim.env, ...HEALTH_PUSH_ON, LOG_LEVEL: 'debug', HTTP_MAX_URL_LENGTH: '600' },
    { logStream: sink },
  );
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

async function send(method: string, path: string, body?: unknown, headers = {}): Promise<number> {
  const res = await http(method, `${t.url}${path}`, body, headers);
  answers.push(JSON.stringify(res.body ?? ''), JSON.stringify([...res.headers.entries()]));
  return res.status;
}

/** A request written by hand, for what fetch refuses to send (a broken %-escape, a bad line). */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.url);
    const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('credentials in the log, metrics and error bodies', () => {
  it('redacts every key, secret, token and signature, wherever it was sent', async () => {
    const provider = TEST_KEYS.provider;
    const everywhere = `key=${provider}&secret=${TEST_CALLBACK_SECRET}&token=${FOREIGN_TOKEN}&signature=${FOREIGN_SIGNATURE}&access_token=${FOREIGN_TOKEN}`;
    const none = { authorization: '', 'x-callback-secret': '' };
    // Provider pushes configured as the README's URL form: accepted, and refused variants.
    for (const path of ['call-records', 'recordings', 'number-health']) {
      await send('POST', `/v1/callbacks/${path}?${everywhere}`, [], none);
      await send(
        'POST',
        `/v1/callbacks/${path}?key=${BAD_KEY}&secret=${TEST_CALLBACK_SECRET}`,
        [],
        none,
      );
      await send(
        'POST',
        `/v1/callbacks/${path}?key=${provider}&secret=wrong-${FOREIGN_TOKEN}`,
        [],
        none,
      );
    }
    // ?key= and friends on every other kind of route: keyed, public, unknown, wrong method.
    for (const path of [
      '/v1/bindings',
      '/v1/pools',
      '/health/ready',
      '/health/live',
      '/metrics',
      '/docs/json',
      '/console/',
      '/v1/no-such-route',
      '/v1/bindings/00000000-0000-4000-8000-000000000000',
    ]) {
      await send('GET', `${path}?${everywhere}`, undefined, none);
      await send('GET', `${path}?key=${TEST_KEYS.all}&phone=13812345678`);
      await send('DELETE', `${path}?key=${BAD_KEY}`, undefined, none);
    }
    // Credentials in headers: valid, invalid, and refused for their role.
    await send('GET', '/v1/bindings', undefined, { authorization: `Bearer ${BAD_KEY}` });
    await send('GET', '/v1/bindings', undefined, { authorization: `Bearer ${TEST_KEYS.routing}` });
    await send('POST', '/v1/routing/lookup', {}, { authorization: `Bearer ${TEST_KEYS.routing}` });
    await send('GET', '/v1/console/session', undefined, {
      authorization: '',
      cookie: `axb_session=${FOREIGN_TOKEN}`,
      'x-csrf-token': FOREIGN_TOKEN,
    });
    await send('POST', '/v1/console/session', { apiKey: BAD_KEY }, none);
    await send('POST', '/v1/console/session', { apiKey: TEST_KEYS.admin }, none);
    // A body that names credentials in a field it may not have (400 naming the field).
    await send('POST', '/v1/bindings', { secret: TEST_CALLBACK_SECRET, key: provider });
    // Too long a URL (414), and requests HTTP or the router refuse before any route runs.
    await send('GET', `/v1/bindings?${everywhere}&pad=${'x'.repeat(700)}`);
    const broken = await raw(
      `GET /v1/bindings?key=${provider}&secret=${TEST_CALLBACK_SECRET}&bad=%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    answers.push(broken);
    const garbage = await raw(
      `GET /health/live?token=${FOREIGN_TOKEN} NOT-HTTP\r\nauthorization: Bearer ${provider}\r\n\r\n`,
    );
    answers.push(garbage);
    const metrics = await http<string>('GET', `${t.url}/metrics`);
    answers.push(String(metrics.body));

    expect(logs.length).toBeGreaterThan(2000);
    // The scenario reached the places it meant to: refused pushes and keyed routes were logged.
    expect(logs).toContain('/v1/callbacks/number-health?key=[REDACTED]');
    expect(logs).toContain('request refused');
    for (const secret of SECRETS) {
      expect(logs.includes(secret), `${secret} appears in the log`).toBe(false);
      for (const answer of answers)
        expect(
          answer.includes(secret),
          `${secret} appears in an answer: ${answer.slice(0, 300)}`,
        ).toBe(false);
    }
  });
});
