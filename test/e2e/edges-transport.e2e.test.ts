import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

/**
 * What Node and Fastify refuse before a handler runs, over raw sockets: timeouts (408), header
 * and URL limits (431, 414), malformed requests (400). Time is controlled by small configured
 * timeouts, not by sleeping: each wait below is bounded and ends as soon as the answer arrives.
 */
let t: TestApp;
let port: number;
let logs = '';

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  t = await startTestApp(
    {
      LOG_LEVEL: 'info',
      HTTP_HEADERS_TIMEOUT_MS: '300',
      HTTP_REQUEST_TIMEOUT_MS: '600',
      HTTP_MAX_HEADER_BYTES: '4096',
      HTTP_MAX_URL_LENGTH: '512',
    },
    { logStream: sink },
  );
  port = Number(new URL(t.url).port);
});
afterAll(async () => {
  await t?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: { statusCode?: number; code?: string; requestId?: string };
  closed: boolean;
}

/** Writes `chunks` on a fresh connection and reads until the server closes it or answers fully. */
function raw(chunks: Array<string | Buffer>, waitMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${waitMs} ms; got: ${data.slice(0, 300)}`));
    }, waitMs);
    const finish = () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      const length = Number(headers['content-length'] ?? NaN);
      if (!closed && !(Number.isFinite(length) && Buffer.byteLength(body) >= length)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: body ? JSON.parse(body) : {},
        closed,
      });
    };
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

function expectShape(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ statusCode: status, code });
  expect(answer.body.requestId).toBeTruthy();
  expect(answer.headers['x-request-id']).toBe(answer.body.requestId);
  expect(logs, 'the request id of the answer is in the log').toContain(answer.body.requestId);
}

const auth = `authorization: Bearer ${TEST_KEYS.all}\r\n`;

describe('timeouts', () => {
  it('answers a body shorter than its Content-Length with 408, not a hang', async () => {
    const answer = await raw([
      `POST /v1/bindings HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"outId":`,
    ]);
    expectShape(answer, 408, 'REQUEST_TIMEOUT');
  });

  it('answers headers that never finish with 408', async () => {
    const answer = await raw([`GET /v1/bindings HTTP/1.1\r\nhost: x\r\n${auth}x-slow: yes`]);
    expectShape(answer, 408, 'REQUEST_TIMEOUT');
  });

  it('authenticates before waiting for the body: a keyless incomplete body is a 401 at once', async () => {
    const answer = await raw([
      `POST /v1/bindings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{`,
    ]);
    expectShape(answer, 401, 'UNAUTHENTICATED');
  });
});

describe('limits', () => {
  it('answers headers over the limit with 431', async () => {
    const answer = await raw([
      `GET /v1/bindings HTTP/1.1\r\nhost: x\r\n${auth}x-big: ${'a'.repeat(5000)}\r\n\r\n`,
    ]);
    expectShape(answer, 431, 'HEADERS_TOO_LARGE');
  });

  it('answers a URL over the limit with 414', async () => {
    const answer = await raw([
      `GET /v1/bindings?outId=${'a'.repeat(600)} HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
    ]);
    expectShape(answer, 414, 'URI_TOO_LONG');
  });

  it('answers an over-long path parameter with 414', async () => {
    const answer = await raw([
      `GET /v1/bindings/${'a'.repeat(300)} HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
    ]);
    expectShape(answer, 414, 'URI_TOO_LONG');
  });

  it('answers a badly encoded path with 400', async () => {
    const answer = await raw([`GET /v1/bindings/%zz%E0 HTTP/1.1\r\nhost: x\r\n${auth}\r\n`]);
    expectShape(answer, 400, 'BAD_URL');
  });

  it('answers a body without a content type with 415', async () => {
    const answer = await raw([
      `POST /v1/bindings HTTP/1.1\r\nhost: x\r\n${auth}content-length: 2\r\n\r\n{}`,
    ]);
    expectShape(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers requests HTTP cannot parse with 400 in the same shape', async () => {
    for (const garbage of [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `POST /v1/bindings HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n`,
      'GET /\x00 HTTP/1.1\r\n\r\n',
    ]) {
      const answer = await raw([garbage]);
      expectShape(answer, 400, 'MALFORMED_REQUEST');
    }
  });
});
