import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('health', () => {
  it('liveness answers 200', async () => {
    const res = await http('GET', `${t.url}/health/live`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('readiness checks the database (details for a keyed caller)', async () => {
    const res = await http('GET', `${t.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up', provider: { circuit: 'closed' } });
  });

  it('returns the caller-supplied request id, and makes one up otherwise', async () => {
    const given = await http('GET', `${t.url}/health/live`, undefined, {
      'x-request-id': 'abc-123',
    });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await http('GET', `${t.url}/health/live`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a JSON 404 carrying the request id', async () => {
    const res = await http<{ statusCode: number; code: string; requestId: string }>(
      'GET',
      `${t.url}/nope`,
      undefined,
      { 'x-request-id': 'req-404' },
    );
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', requestId: 'req-404' });
  });
});
