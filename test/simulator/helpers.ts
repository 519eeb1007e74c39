import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { formatTimestamp, sign } from '../../src/protocol/signature.js';
import { openApiCaller, type OpenApiCaller } from '../support/openapi-client.js';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/server.js';

const require = createRequire(import.meta.url);

export const KEY_ID = 'test-key-id';
export const KEY_SECRET = 'test-key-secret';
export const POOL = 'FC100000000000001';
export const OTHER_POOL = 'FC100000000000002';
export const STRICT_POOL = 'FC100000000000009';

export interface PopClient {
  request(
    action: string,
    params?: Record<string, unknown>,
    opts?: { method?: 'GET' | 'POST'; timeout?: number },
  ): Promise<Record<string, unknown>>;
}

interface PopClientConstructor {
  new (config: {
    accessKeyId: string;
    accessKeySecret: string;
    endpoint: string;
    apiVersion: string;
  }): PopClient;
}

export function startTestSimulator(overrides: Partial<SimulatorOptions> = {}) {
  return startSimulator({
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    poolKeys: [POOL, OTHER_POOL, STRICT_POOL],
    strictCityPools: [STRICT_POOL],
    stockPerCity: 20,
    ...overrides,
  });
}

/** A test file's simulator and a pop-core client of it (read them inside tests and hooks). */
export interface SimulatorFixture {
  readonly sim: RunningSimulator;
  readonly client: PopClient;
}

/**
 * Starts the file's simulator before its tests (startTestSimulator with `overrides`), resets it
 * before each test, closes it after the last.
 */
export function useTestSimulator(overrides: Partial<SimulatorOptions> = {}): SimulatorFixture {
  let running: { sim: RunningSimulator; client: PopClient } | undefined;
  const current = () => {
    if (!running) throw new Error('the simulator is not running (use it inside tests and hooks)');
    return running;
  };
  beforeAll(async () => {
    const sim = await startTestSimulator(overrides);
    running = { sim, client: popClient(sim) };
  });
  afterAll(() => running?.sim.close());
  beforeEach(async () => {
    await control(current().sim).post('/reset');
  });
  return {
    get sim() {
      return current().sim;
    },
    get client() {
      return current().client;
    },
  };
}

/** A number as the simulator's control API lists it. */
export interface SimulatorNumber {
  secretNo: string;
  city: string;
  specId: number;
}

/** The numbers the simulator holds for a pool (every pool's when none is given). */
export async function simulatorNumbers(
  sim: RunningSimulator,
  poolKey?: string,
): Promise<SimulatorNumber[]> {
  const path = poolKey === undefined ? '/numbers' : `/numbers?poolKey=${poolKey}`;
  return (await control(sim).get(path)).body as unknown as SimulatorNumber[];
}

/** Alibaba's generic RPC client, pointed at the simulator. */
export function popClient(
  sim: RunningSimulator,
  credentials: { accessKeyId?: string; accessKeySecret?: string } = {},
): PopClient {
  const RPCClient = require('@alicloud/pop-core') as PopClientConstructor;
  return new RPCClient({
    accessKeyId: credentials.accessKeyId ?? KEY_ID,
    accessKeySecret: credentials.accessKeySecret ?? KEY_SECRET,
    endpoint: sim.url,
    apiVersion: '2017-05-25',
  });
}

/** The control API, JSON in and out. */
export function control(sim: RunningSimulator) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sim.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as unknown;
    return { status: response.status, body: json as Record<string, unknown> & unknown[] };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
    del: (path: string) => call('DELETE', path),
    /** Simulated now, epoch ms. */
    now: async () => Number((await call('GET', '/clock')).body.epochMs),
  };
}

/** An Expiration `ms` after the simulator's clock. */
export async function expiresIn(sim: RunningSimulator, ms: number): Promise<string> {
  return formatProviderDate(new Date((await control(sim).now()) + ms));
}

export const HOUR = 60 * 60 * 1000;

/** Asserts the promise rejects with an SDK error carrying that Code. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: string; data?: unknown },
  );
  expect(error, `expected ${code}`).toBeDefined();
  expect(error?.code).toBe(code);
}

/** A hand-signed request, for cases the SDKs cannot produce (reused nonce, old timestamp). */
export async function signedRequest(
  sim: RunningSimulator,
  params: Record<string, string>,
  options: { method?: 'GET' | 'POST'; nonce?: string; timestamp?: Date; secret?: string } = {},
) {
  const method = options.method ?? 'GET';
  const all: Record<string, string> = {
    Format: 'JSON',
    Version: '2017-05-25',
    AccessKeyId: KEY_ID,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: options.nonce ?? crypto.randomUUID(),
    Timestamp: formatTimestamp(options.timestamp ?? new Date()),
    ...params,
  };
  all.Signature = sign(method, all, options.secret ?? KEY_SECRET);
  const query = new URLSearchParams(all).toString();
  const response =
    method === 'GET'
      ? await fetch(`${sim.url}?${query}`)
      : await fetch(sim.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: query,
        });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * A local callback receiver. `answer` decides each reply (default: Alibaba's expected ack);
 * `waitFor(n)` resolves once n deliveries arrived, or rejects after a bounded timeout.
 */
export async function startReceiver(
  answer: (n: number) => { status: number; body: unknown } = () => ({
    status: 200,
    body: { code: 0, msg: '接收成功' },
  }),
) {
  const received: unknown[][] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const app: FastifyInstance = Fastify();
  app.post('/hook', async (request, reply) => {
    received.push(request.body as unknown[]);
    const { status, body } = answer(received.length);
    for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
    return reply.code(status).send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor(n: number, timeoutMs = 5_000): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received.length} of ${n} deliveries arrived`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => app.close(),
  };
}

/** Binds a fresh pair through pop-core and returns the DTO. */
export async function bind(
  client: PopClient,
  sim: RunningSimulator,
  params: Record<string, unknown>,
): Promise<{ SubsId: string; SecretNo: string }> {
  const result = await client.request(
    'BindAxb',
    { PoolKey: POOL, Expiration: await expiresIn(sim, HOUR), ...params },
    { method: 'POST' },
  );
  return result.SecretBindDTO as { SubsId: string; SecretNo: string };
}

/** Alibaba's Darabonba client (`@alicloud/openapi-client`, V3 signatures) on the simulator. */
export function v3Client(sim: RunningSimulator): OpenApiCaller {
  return openApiCaller(sim.url, { accessKeyId: KEY_ID, accessKeySecret: KEY_SECRET });
}

/** The Code of a V3 call: in the body (HTTP 200 business answers) or the thrown error's. */
export async function v3Code(call: Promise<Record<string, unknown>>): Promise<string> {
  try {
    return String((await call).Code);
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

/** A simulated call through the control API; its answer (records, intercepted). */
export async function placeCall(
  sim: RunningSimulator,
  subsId: string,
  caller: 'A' | 'B',
  extra: Record<string, unknown> = {},
): Promise<{ intercepted: boolean; record: Record<string, unknown> }> {
  const { status, body } = await control(sim).post('/calls', { subsId, caller, ...extra });
  expect(status).toBe(200);
  const answer = body as unknown as { intercepted: boolean; records: Record<string, unknown>[] };
  return { intercepted: answer.intercepted, record: answer.records[0]! };
}
