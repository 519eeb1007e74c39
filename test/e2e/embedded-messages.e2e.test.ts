import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/bootstrap.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { loadConfig } from '../../src/config/load-config.js';
import { RoutedCountsWriter } from '../../src/routing/routed-counts.writer.js';
import { readyEmbeddedPool } from '../../src/runtime/embedded-pool.js';
import { prepareRuntime } from '../../src/runtime/prepare-runtime.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { http } from '../support/test-app.js';
import { TEST_AUTH_ENV } from '../support/test-keys.js';

/**
 * The acceptance test: embedded defaults (no PROVIDER_ENDPOINT, so the built-in
 * simulator) and no CALLBACK_SECRET. Health and calls reach the service through the simulator's
 * message queues, within 5 s.
 */
let app: NestFastifyApplication;
let url: string;
let control: string;
let drop: () => Promise<void>;
const POOL = 'FC100000000000001';

beforeAll(async () => {
  const db = await createMigratedDatabase();
  drop = db.drop;
  const settings = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    MIGRATE_ON_START: 'false',
    API_KEYS: TEST_AUTH_ENV.API_KEYS!,
  });
  expect(settings.provider.endpoint).toBeUndefined();
  expect(settings.auth.callbackSecret).toBe('');
  // As main.ts starts it: the built-in simulator, then its starter pool.
  const { config, stops, started } = await prepareRuntime(settings);
  expect(started.simulator?.url).toBe(config.provider.endpoint);
  app = await bootstrap(config, { stops });
  await app.init();
  await readyEmbeddedPool(app, config);
  await app.listen(0, '127.0.0.1');
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  control = `${config.provider.endpoint}_sim`;
});
afterAll(async () => {
  await app?.close();
  await drop?.();
});

const sim = async (path: string, body: unknown) => {
  const res = await fetch(`${control}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  return (await res.json()) as Record<string, unknown>;
};

/** Checks every 20 ms until `check` holds; fails after 5 s (the acceptance bound). */
async function within5s(check: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  for (let tries = 0; tries < 250; tries += 1) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > 5_000) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what} did not happen within 5 s`);
}

describe('embedded defaults consume the simulator’s queues, with no callback secret', () => {
  let b: BindingView;

  beforeAll(async () => {
    const res = await http<BindingView>('POST', `${url}/v1/bindings`, {
      outId: `embedded-${Date.now()}`,
      phoneA: '13800770001',
      phoneB: '13900770001',
      ttlSeconds: 3600,
    });
    expect(res.status).toBe(201);
    b = res.body;
  });

  it('pushes are refused without CALLBACK_SECRET: the queues are the way in', async () => {
    const res = await http<{ code: string }>('POST', `${url}/v1/callbacks/call-records`, []);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('CALLBACKS_DISABLED');
  });

  it('a bound X marked abnormal is abnormal within 5 s; refused QueryCallStatus then answers 3', async () => {
    await sim(`/numbers/${b.phoneX}/health`, { status: 'abnormal' });
    await within5s(async () => {
      const res = await http<{ items: Array<{ number: string; health: string }> }>(
        'GET',
        `${url}/v1/pools/${POOL}/numbers`,
      );
      return res.body.items.find((n) => n.number === b.phoneX)?.health === 'abnormal';
    }, 'X abnormal');
    await sim('/private-actions', { queryCallStatus: 'refused' });
    const answer = await http<Record<string, unknown>>('POST', `${url}/v1/routing/lookup`, {
      bindingId: b.id,
      callerNo: b.phoneA,
    });
    expect(answer.body).toMatchObject({ action: 'dial', status: 3, dial: b.phoneB });
  });

  it('a call at the simulator shows in the binding’s calls within 5 s', async () => {
    const call = await sim('/calls', { subsId: b.subsId, caller: 'A', durationSeconds: 12 });
    const callId = (call.records as Array<{ call_id: string }>)[0]!.call_id;
    await within5s(async () => {
      await app.get(RoutedCountsWriter).flush();
      const res = await http<{ calls: Array<{ callId: string }> }>(
        'GET',
        `${url}/v1/bindings/${b.id}`,
      );
      return res.body.calls.some((c) => c.callId === callId);
    }, 'the call on the binding');
  });
});
