import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import { formatTimestamp, sign } from '../../src/protocol/signature.js';
import { control, KEY_ID, KEY_SECRET, signedRequest, startTestSimulator } from './helpers.js';

const remain = { Action: 'QuerySecretNoRemain', SpecId: '2', City: '杭州' };

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ timestampSkewSeconds: 300 });
});
afterAll(() => sim.close());

describe('request authentication', () => {
  it('accepts a correctly signed GET and form POST', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const { status, body } = await signedRequest(sim, remain, { method });
      expect(status).toBe(200);
      expect(body).toMatchObject({ Code: 'OK', Message: 'OK' });
    }
  });

  it('accepts parameters split between the query string and a form body', async () => {
    const params: Record<string, string> = {
      ...remain,
      Format: 'JSON',
      Version: '2017-05-25',
      AccessKeyId: KEY_ID,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: crypto.randomUUID(),
      Timestamp: formatTimestamp(new Date()),
    };
    params.Signature = sign('POST', params, KEY_SECRET);
    const { Action, Version, ...rest } = params;
    const response = await fetch(`${sim.url}?${new URLSearchParams({ Action, Version })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(rest).toString(),
    });
    expect(await response.json()).toMatchObject({ Code: 'OK' });
  });

  it('refuses a signature made for another method, quoting its StringToSign', async () => {
    const params: Record<string, string> = {
      ...remain,
      Version: '2017-05-25',
      AccessKeyId: KEY_ID,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: crypto.randomUUID(),
      Timestamp: formatTimestamp(new Date()),
    };
    params.Signature = sign('POST', params, KEY_SECRET);
    const response = await fetch(`${sim.url}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { Code: string; Message: string };
    expect(response.status).toBe(400);
    expect(body.Code).toBe('SignatureDoesNotMatch');
    expect(body.Message).toContain('server string to sign is:GET&%2F&AccessKeyId%3D');
  });

  it('refuses a wrong secret (400) and an unknown key (404)', async () => {
    const wrong = await signedRequest(sim, remain, { secret: 'nope' });
    expect(wrong).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } });
    const unknown = await signedRequest(sim, { ...remain, AccessKeyId: 'someone-else' });
    expect(unknown).toMatchObject({ status: 404, body: { Code: 'InvalidAccessKeyId.NotFound' } });
  });

  it('refuses a reused nonce, but not one first sent with a bad signature', async () => {
    const nonce = crypto.randomUUID();
    const forged = await signedRequest(sim, remain, { nonce, secret: 'nope' });
    expect(forged.body.Code).toBe('SignatureDoesNotMatch');
    expect((await signedRequest(sim, remain, { nonce })).body.Code).toBe('OK');
    const replay = await signedRequest(sim, remain, { nonce });
    expect(replay).toMatchObject({ status: 400, body: { Code: 'SignatureNonceUsed' } });
  });

  it('refuses timestamps outside the skew, in either direction, and malformed ones', async () => {
    const old = await signedRequest(sim, remain, { timestamp: new Date(Date.now() - 301_000) });
    expect(old).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Expired' } });
    const future = await signedRequest(sim, remain, { timestamp: new Date(Date.now() + 301_000) });
    expect(future.body.Code).toBe('InvalidTimeStamp.Expired');
    const malformed = await signedRequest(sim, { ...remain, Timestamp: '2026-01-01 00:00:00' });
    expect(malformed.body.Code).toBe('InvalidTimeStamp.Format');
  });

  it('judges timestamps by the real clock, not the simulated one', async () => {
    await control(sim).post('/clock/advance', { ms: 10 * 24 * 3600 * 1000 });
    expect((await signedRequest(sim, remain)).body.Code).toBe('OK');
    await control(sim).post('/reset');
  });

  it('names missing common parameters, wrong versions and unknown actions', async () => {
    const response = await fetch(`${sim.url}?Action=BindAxb`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ Code: 'MissingVersion' });
    const version = await signedRequest(sim, { ...remain, Version: '2018-01-01' });
    expect(version).toMatchObject({ status: 400, body: { Code: 'InvalidVersion' } });
    const action = await signedRequest(sim, { Action: 'SendSms' });
    expect(action).toMatchObject({ status: 404, body: { Code: 'InvalidAction.NotFound' } });
  });

  it('names a missing action parameter', async () => {
    const { status, body } = await signedRequest(sim, {
      Action: 'QuerySecretNoRemain',
      SpecId: '1',
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({
      Code: 'MissingCity',
      Message: 'City is mandatory for this action.',
    });
  });

  it('answers every response as a JSON envelope with a RequestId', async () => {
    const { body } = await signedRequest(sim, remain);
    expect(Object.keys(body).slice(0, 3)).toEqual(['RequestId', 'Code', 'Message']);
    expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
  });
});
