import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedRate, saturate } from '../../bench/support/load.js';

/**
 * The benchmarks' load driver over real HTTP: every call answered and counted once, bodies sent
 * in turn, statuses and routing sources tallied from the answers, answers read whole (a body in
 * several chunks), a refused call counted as an error, not an answer.
 */
describe('bench load driver', () => {
  let server: Server;
  let origin: string;
  const received: string[] = [];
  /** The client port of each request, in order: which connection carried it. */
  const sockets: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${body}`);
        sockets.push(req.socket.remotePort!);
        if (req.url === '/busy') {
          res.writeHead(503).end('{"code":"busy"}');
          return;
        }
        // Two writes: the answer reaches the client in more than one chunk.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"target":"x","source":');
        res.end(received.length % 2 ? '"cache"}' : '"provider"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every due call of a fixed rate, bodies in turn, and tallies the answers', async () => {
    received.length = 0;
    const summary = await fixedRate(
      { origin, path: '/lookup', bodies: ['{"n":0}', '{"n":1}', '{"n":2}'] },
      { rate: 400, durationMs: 100, connections: 4, maxInFlight: 1000 },
    );
    expect(summary).toMatchObject({ answered: 40, ok: 40, errors: 0, statuses: { 200: 40 } });
    expect(summary.sources).toEqual({ cache: 20, provider: 20 });
    expect([...received].sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `POST /lookup {"n":${i % 3}}`).sort(),
    );
    expect(summary.slowest).toHaveLength(12);
    expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms);
  });

  it('opens every connection before the first call when asked to warm them', async () => {
    received.length = 0;
    sockets.length = 0;
    let atReady = -1;
    const summary = await fixedRate(
      { origin, path: '/lookup', bodies: ['{}'] },
      { rate: 400, durationMs: 50, connections: 8, maxInFlight: 1000, warmPath: '/live' },
      async () => {
        atReady = received.length;
      },
    );
    expect(summary).toMatchObject({ answered: 20, ok: 20 });
    expect(atReady).toBe(8);
    expect(received.slice(0, 8)).toEqual(Array.from({ length: 8 }, () => 'GET /live '));
    const warmed = new Set(sockets.slice(0, 8));
    expect(warmed.size).toBe(8);
    expect(sockets.slice(8).every((port) => warmed.has(port))).toBe(true);
  });

  it('counts a non-2xx answer as answered but not ok, and GETs without a body', async () => {
    received.length = 0;
    const summary = await saturate(
      { origin, path: '/busy', bodies: [], get: true },
      { connections: 2, durationMs: 10_000, maxRequests: 5 },
    );
    expect(summary).toMatchObject({ answered: 5, ok: 0, errors: 0, statuses: { 503: 5 } });
    expect(received).toEqual(Array.from({ length: 5 }, () => 'GET /busy '));
  });

  it('counts calls nobody answers as errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const summary = await saturate(
      { origin: `http://127.0.0.1:${port}`, path: '/', bodies: ['{}'] },
      { connections: 1, durationMs: 10_000, maxRequests: 3 },
    );
    expect(summary).toMatchObject({ answered: 0, ok: 0, errors: 3 });
  });
});
