import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../src/config/app-config.js';
import { WEBHOOK_REQUEST_HEADERS, WebhookSender } from '../../../src/webhooks/webhook-sender.js';

/**
 * The sender on undici's dispatch interface, against a real HTTP server: what it sends, what it
 * keeps of the answer, and that every try ends within WEBHOOKS_TIMEOUT_MS.
 */
describe('WebhookSender', () => {
  let handle: (req: IncomingMessage, body: string, res: ServerResponse) => void = () => undefined;
  const seen: Array<{ headers: IncomingMessage['headers']; body: string; socket?: number }> = [];
  let server: Server;
  let url: string;
  const sender = (timeoutMs: number, allowPrivateUrls = true) =>
    new WebhookSender({ webhooks: { timeoutMs, allowPrivateUrls } } as unknown as AppConfig);

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body, socket: req.socket.remotePort });
        handle(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?x=1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the body with its headers, on kept-alive connections', async () => {
    const s = sender(2000);
    handle = (_req, _body, res) => res.writeHead(204).end();
    seen.length = 0;
    const headers = { ...WEBHOOK_REQUEST_HEADERS, 'webhook-id': 'msg_1' };
    const first = await s.send(url, headers, '{"a":1}');
    expect(first).toMatchObject({ statusCode: 204, response: null, error: null });
    for (let i = 2; i <= 6; i += 1)
      expect((await s.send(url, headers, `{"n":${i}}`)).statusCode).toBe(204);
    expect(seen.map((r) => r.body)).toEqual([
      '{"a":1}',
      ...[2, 3, 4, 5, 6].map((i) => `{"n":${i}}`),
    ]);
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'axb-router-webhooks',
      'webhook-id': 'msg_1',
    });
    // (the second try may open a connection while the first is being returned to the pool)
    expect(new Set(seen.map((r) => r.socket)).size).toBeLessThanOrEqual(2);
    await s.onModuleDestroy();
  });

  it('keeps the first 500 characters of an answer, its status and Retry-After', async () => {
    const s = sender(2000);
    handle = (_req, _body, res) => res.writeHead(200).end('é'.repeat(400) + 'x'.repeat(2000));
    const long = await s.send(url, {}, '{}');
    expect(long.statusCode).toBe(200);
    expect(long.response).toBe('é'.repeat(400) + 'x'.repeat(100));
    handle = (_req, _body, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down');
    expect(await s.send(url, {}, '{}')).toMatchObject({
      statusCode: 429,
      response: 'slow down',
      retryAfter: '7',
      error: null,
    });
    await s.onModuleDestroy();
  });

  it('ends a try that gets no answer within the timeout, and one that cannot connect', async () => {
    const s = sender(300);
    handle = () => undefined; // never answers
    const hung = await s.send(url, {}, '{}');
    expect(hung).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
    expect(hung.durationMs).toBeGreaterThanOrEqual(250);
    expect(hung.durationMs).toBeLessThan(2000);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await s.send(`http://127.0.0.1:${port}/`, {}, '{}');
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/ECONNREFUSED|connect/i);
    await s.onModuleDestroy();
  });

  it('refuses a private address written in the URL unless private URLs are allowed', async () => {
    const s = sender(2000, false);
    const refused = await s.send(url, {}, '{}');
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/loopback|private/);
    await s.onModuleDestroy();
  });
});
