import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { GracefulShutdown } from '../../src/runtime/graceful-shutdown.js';
import { JobRunner } from '../../src/scheduler/job-runner.js';
import { ReconciliationJob } from '../../src/scheduler/reconciliation.job.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';

/**
 * The shutdown sequence in-process (the SIGTERM of a real process is in the fault suite):
 * readiness 503 and the listener closed at once, the request in flight answered in full, and only
 * then jobs, provider client and database pool closed.
 */
const POOL = 'FCSHUTDOWN';
let sim: TestSimulator;
let t: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp({ ...sim.env, PROVIDER_TIMEOUT_MS: '10000' });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

/**
 * A bind over its own keep-alive connection (as order services send them), with the response's
 * Connection header: the server, not the client, must ask for the close.
 */
function bindOnOwnConnection(body: object) {
  const url = new URL(`${t.url}/v1/bindings`);
  return new Promise<{ status: number; connection?: string; body: BindingView }>(
    (resolve, reject) => {
      const payload = JSON.stringify(body);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${TEST_KEYS.all}`,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            agent.destroy();
            resolve({
              status: res.statusCode!,
              connection: res.headers.connection,
              body: JSON.parse(text) as BindingView,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    },
  );
}

/** How a new TCP connection to the port fails ('connected' if it does not). */
function connectError(port: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('graceful shutdown', () => {
  it('turns readiness 503 and stops accepting at once, answers the request in flight, then closes the pools', async () => {
    const prisma = t.app.get(PrismaService);
    await sim.control('POST', '/faults', { action: 'BindAxb', latencyMs: 1500, count: 1 });
    const body = {
      poolKey: POOL,
      outId: 'shutdown-1',
      phoneA: '13800005001',
      phoneB: '13900005001',
      ttlSeconds: 3600,
    };
    const inFlight = bindOnOwnConnection(body);
    const shutdown = t.app.get(GracefulShutdown);
    await until(
      async () => shutdown.requestsInFlight,
      (n) => n === 1,
      'the bind to be in flight',
    );
    const done = shutdown.run('test');

    // At once: readiness says 503 (asked in-process, the listener is closed), new connections
    // are refused, and no new job pass starts.
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ code: 'NOT_READY', message: 'Shutting down' });
    expect(await connectError(new URL(t.url).port)).toBe('ECONNREFUSED');
    const runner = t.app.get(JobRunner);
    expect(await runner.run(t.app.get(ReconciliationJob))).toMatchObject({ status: 'skipped' });
    expect(prisma.pgPool.ended).toBe(false);

    // The request in flight gets its real answer, and is asked to close its connection.
    const answer = await inFlight;
    expect(answer.status).toBe(201);
    expect(answer.body.state).toBe('active');
    expect(answer.connection).toBe('close');
    await done;
    expect(prisma.pgPool.ended).toBe(true);
  });
});
