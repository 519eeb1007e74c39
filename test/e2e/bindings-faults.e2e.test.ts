import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCBINDFAULTS';
let sim: TestSimulator;
let t: TestApp;
let numbers: string[];

type Binding = BindingView & { events: Array<{ kind: string; details: Record<string, unknown> }> };
type ErrorBody = { code: string; details: { providerCode?: string; bindingId?: string } };

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp({ ...sim.env, PROVIDER_TIMEOUT_MS: '300' });
  const bought = await http<{ bought: string[] }>('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
    spec: 2,
    city: '杭州',
    count: 3,
  });
  numbers = bought.body.bought;
});
afterEach(async () => {
  await sim.control('DELETE', '/faults');
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

let seq = 0;
const fresh = () => {
  seq += 1;
  return {
    outId: `fault-${Date.now()}-${seq}`,
    phoneA: `1380000${String(seq).padStart(4, '0')}`,
    phoneB: `1390000${String(seq).padStart(4, '0')}`,
    ttlSeconds: 3600,
  };
};
const bind = (body: object) => http<BindingView & ErrorBody>('POST', `${t.url}/v1/bindings`, body);
const get = (id: string) => http<Binding>('GET', `${t.url}/v1/bindings/${id}`);
const fault = (body: object) => sim.control('POST', '/faults', { action: 'BindAxb', ...body });

describe('provider errors map to stable codes and statuses, and settle the binding', () => {
  it.each([
    ['isv.NO_AVAILABLE_NUMBER', 503, 'NUMBERS_EXHAUSTED'],
    ['isv.FLOW_LIMIT', 429, 'PROVIDER_FLOW_LIMIT'],
    ['isv.MOBILE_NUMBER_ILLEGAL', 400, 'PROVIDER_REJECTED_ARGUMENT'],
    ['SignatureDoesNotMatch', 502, 'PROVIDER_REFUSED'],
  ])('%s → %i %s, binding failed with the provider code', async (providerCode, status, code) => {
    await fault({ code: providerCode, count: 1 });
    const res = await bind(fresh());
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.details.providerCode).toBe(providerCode);
    const binding = await get(res.body.details.bindingId!);
    expect(binding.body.state).toBe('failed');
    expect(binding.body.events.at(-1)).toMatchObject({ kind: 'failed', details: { providerCode } });
  });

  it('a failed order can be bound again afterwards', async () => {
    const body = fresh();
    await fault({ code: 'isv.FLOW_LIMIT', count: 1 });
    expect((await bind(body)).status).toBe(429);
    expect((await bind(body)).status).toBe(201);
  });

  it('a provider system error leaves the outcome unknown (502) and a replay does not bind twice', async () => {
    const body = fresh();
    await fault({ code: 'isp.SYSTEM_ERROR', count: 1 });
    const res = await bind(body);
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    const calls = await sim.calls('BindAxb');
    const replay = await bind(body);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: res.body.details.bindingId, state: 'unknown' });
    expect(await sim.calls('BindAxb')).toBe(calls);
  });

  it('a timeout beyond the budget is 504 with an unknown outcome, recorded as such', async () => {
    await fault({ latencyMs: 1500, count: 1 });
    const res = await bind(fresh());
    expect(res.status).toBe(504);
    expect(res.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    const binding = await get(res.body.details.bindingId!);
    expect(binding.body.state).toBe('unknown');
    expect(binding.body.events.map((e) => e.kind)).toEqual(['created', 'outcome_unknown']);
  });

  it('a connection dropped after sending is an unknown outcome', async () => {
    await fault({ drop: 1 });
    const res = await bind(fresh());
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
  });

  it('a non-JSON answer is a 502 PROVIDER_OUTCOME_UNKNOWN for a bind', async () => {
    await fault({ httpStatus: 502, count: 1 });
    const res = await bind(fresh());
    expect(res.status).toBe(502);
    expect(['PROVIDER_OUTCOME_UNKNOWN', 'PROVIDER_BAD_RESPONSE']).toContain(res.body.code);
  });

  it('a BIND_CONFLICT moves the bind to the next candidate X', async () => {
    await fault({ code: 'isv.BIND_CONFLICT', count: 1 });
    const res = await bind(fresh());
    expect(res.status).toBe(201);
    // (Counting the simulator's calls here would race with the timed-out bind of another test,
    // which the simulator still processes after its latency.)
    const binding = await get(res.body.id);
    expect(binding.body.events.map((e) => e.kind)).toEqual(['created', 'attempt_failed', 'bound']);
    const firstX = binding.body.events[1]!.details.phoneX;
    expect(numbers).toContain(firstX);
    expect(res.body.phoneX).not.toBe(firstX);
  });

  it('gives up after the configured number of attempts', async () => {
    await fault({ code: 'isv.BIND_CONFLICT', count: 5 });
    const res = await bind(fresh());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('BIND_CONFLICT');
    const binding = await get(res.body.details.bindingId!);
    expect(binding.body.state).toBe('failed');
    expect(binding.body.events.map((e) => e.kind)).toEqual([
      'created',
      'attempt_failed',
      'attempt_failed',
      'failed',
    ]);
    const tried = await sim.control<Array<{ remaining: number | null }>>('GET', '/faults');
    expect(tried[0]?.remaining).toBe(2);
  });
});

describe('provider unreachable', () => {
  it('is a 502 PROVIDER_UNREACHABLE and the bind is failed (nothing was sent)', async () => {
    const app = await startTestApp({ ...sim.env, PROVIDER_ENDPOINT: 'http://127.0.0.1:9/' });
    try {
      await http('PUT', `${app.url}/v1/pools/${POOL}`, {});
      // A number held here (the provider cannot be asked to register it: it is unreachable).
      const sql = new pg.Client({ connectionString: app.config.database.url });
      await sql.connect();
      await sql.query(
        `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州')`,
        [POOL, numbers[0]],
      );
      await sql.end();
      const res = await http<ErrorBody>('POST', `${app.url}/v1/bindings`, {
        ...fresh(),
        poolKey: POOL,
      });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('PROVIDER_UNREACHABLE');
      const binding = await http<Binding>(
        'GET',
        `${app.url}/v1/bindings/${res.body.details.bindingId}`,
      );
      expect(binding.body.state).toBe('failed');
    } finally {
      await app.close();
    }
  });
});
