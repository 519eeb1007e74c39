import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DyplsapiClient,
  type DyplsapiClientConfig,
  type DyplsapiClientOptions,
} from '../../src/provider/dyplsapi/dyplsapi.client.js';
import {
  ProviderAbortedError,
  ProviderBadResponseError,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderHttpError,
  ProviderTimeoutError,
} from '../../src/provider/errors/index.js';
import type { ProviderCallEvent } from '../../src/provider/provider-call.observer.js';
import { codeError, ok, startDyplsapiStub, type DyplsapiStub } from './support/dyplsapi-stub.js';

const SECRET = 'stub-secret';
const POOL = 'FC100000000000001';
const A = '13800000001';
const B = '13900000002';
const X = '17100000001';

let stub: DyplsapiStub;
const clients: DyplsapiClient[] = [];

function makeClient(
  overrides: Partial<DyplsapiClientConfig> = {},
  options: DyplsapiClientOptions = {},
): DyplsapiClient {
  const client = new DyplsapiClient(
    {
      endpoint: stub.url,
      accessKeyId: 'stub-key',
      accessKeySecret: SECRET,
      regionId: 'cn-hangzhou',
      // Generous for answers that do come (a loaded CI box); tests of slowness set their own.
      timeoutMs: 1_000,
      connections: 4,
      readRetries: 2,
      ...overrides,
    },
    { backoff: { baseMs: 1, capMs: 5 }, ...options },
  );
  clients.push(client);
  return client;
}

/** Runs a call expected to fail and returns its error, typed. */
async function failure<E extends ProviderError>(
  call: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

const bind = (client: DyplsapiClient) =>
  client.bindAxb({
    poolKey: POOL,
    phoneA: A,
    phoneB: B,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
const detail = (client: DyplsapiClient) =>
  client.querySubscriptionDetail({ poolKey: POOL, subsId: '1000000000000001', phoneX: X });

beforeAll(async () => {
  // Quiet output; the logging test spies on Logger.prototype.debug, which still runs.
  Logger.overrideLogger(['error', 'warn']);
  stub = await startDyplsapiStub(SECRET);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  stub.reset();
});
afterAll(async () => {
  await stub.close();
});

// The slow-provider tests below count the requests the stub received: each attempt's timeout is
// long enough for its request to arrive on a loaded machine (an attempt cut off before its request
// reached the stub would count one short), and short enough to keep the file quick.
describe('DyplsapiClient over HTTP against a signature-checking stub', () => {
  it('signs and sends every action, and maps each DTO to the port types', async () => {
    const client = makeClient();
    const expiresAt = new Date('2026-11-22T06:30:00Z');

    const bound = await client.bindAxb(
      {
        poolKey: POOL,
        phoneA: A,
        phoneB: B,
        expiresAt,
        expectCity: '杭州',
        record: true,
        outId: 'o-1',
      },
      { requestId: 'corr-1' },
    );
    expect(bound).toEqual({ subsId: '1000000000000001', phoneX: X, extension: '130' });
    const sent = stub.requests[0]!;
    expect(sent.method).toBe('POST');
    // V3 by default: action, version, date and nonce in signed headers, no Signature parameter.
    expect(sent).toMatchObject({ scheme: 'v3', signatureOk: true, accessKeyId: 'stub-key' });
    expect(sent.headers).toMatchObject({
      'x-acs-action': 'BindAxb',
      'x-acs-version': '2017-05-25',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(sent.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=stub-key,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/,
    );
    expect(sent.params.Signature).toBeUndefined();
    expect(sent.params.Action).toBeUndefined();
    expect(sent.params).toMatchObject({
      PoolKey: POOL,
      PhoneNoA: A,
      PhoneNoB: B,
      Expiration: '2026-11-22 14:30:00',
      ExpectCity: '杭州',
      IsRecordingEnabled: 'true',
      OutId: 'o-1',
    });
    expect(sent.params.PhoneNoX).toBeUndefined();
    expect(sent.headers['x-acs-date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await client.unbindSubscription({ poolKey: POOL, subsId: '1', phoneX: X });
    await client.updateSubscription({
      poolKey: POOL,
      subsId: '1',
      phoneX: X,
      change: { kind: 'phoneA', phoneA: '13800000009' },
    });
    await client.updateSubscription({
      poolKey: POOL,
      subsId: '1',
      phoneX: X,
      change: { kind: 'phoneB', phoneB: '13900000009' },
    });
    await client.updateSubscription({
      poolKey: POOL,
      subsId: '1',
      phoneX: X,
      change: { kind: 'expiry', expiresAt },
    });

    expect(await detail(client)).toEqual({
      subsId: '1000000000000001',
      phoneA: A,
      phoneB: B,
      phoneX: X,
      createdAt: new Date('2026-11-22T04:00:00Z'),
      expiresAt,
      record: true,
      active: true,
      callRestrict: 'CONTROL_BX_DISABLE',
      asr: true,
      asrModelId: '7ee372834d2f4cc7ac0d0ab2d0ae1aac',
      groupId: null,
      extension: null,
    });
    expect(await client.queryCallStatus({ poolKey: POOL, subsId: '1', callerNo: A })).toEqual({
      status: 2,
      calledNo: '17100000099',
    });
    expect(
      await client.buySecretNo({ poolKey: POOL, spec: 1, city: '杭州', prefix: '170' }),
    ).toEqual({
      phoneX: '17000000007',
    });
    await client.releaseSecretNo({ poolKey: POOL, phoneX: X });
    expect(await client.querySecretNoRemain({ spec: 2, city: '杭州' })).toEqual({
      city: '杭州',
      amount: 12,
      byCity: [
        { city: '杭州', amount: 12 },
        { city: '上海', amount: 3 },
      ],
    });

    const byAction = Object.fromEntries(stub.requests.map((r) => [r.action, r.params]));
    expect(byAction.UnbindSubscription).toMatchObject({ PoolKey: POOL, SubsId: '1', SecretNo: X });
    expect(
      stub.requests.filter((r) => r.action === 'UpdateSubscription').map((r) => r.params),
    ).toEqual([
      expect.objectContaining({ OperateType: 'updateNoA', PhoneNoA: '13800000009', PhoneNoX: X }),
      expect.objectContaining({ OperateType: 'updateNoB', PhoneNoB: '13900000009' }),
      expect.objectContaining({ OperateType: 'updateExpire', Expiration: '2026-11-22 14:30:00' }),
    ]);
    expect(byAction.QueryCallStatus).toMatchObject({ CallNo: A, SubsId: '1' });
    expect(byAction.BuySecretNo).toMatchObject({ SpecId: '1', City: '杭州', SecretNo: '170' });
    expect(byAction.ReleaseSecretNo).toMatchObject({ PoolKey: POOL, SecretNo: X });
    expect(byAction.QuerySecretNoRemain).toMatchObject({ SpecId: '2', City: '杭州' });
    expect(byAction.QuerySecretNoRemain!.SecretNo).toBeUndefined();

    expect(stub.requests.every((r) => r.signatureOk)).toBe(true);
    const nonces = new Set(stub.requests.map((r) => r.nonce));
    expect(nonces.size).toBe(stub.requests.length);
  });

  it('also speaks GET, and keeps ids too large for a double intact', async () => {
    const client = makeClient({}, { method: 'GET' });
    stub.script({
      raw: '{"Code":"OK","Message":"OK","RequestId":"r","SecretBindDTO":{"SubsId":12345678901234567890,"SecretNo":17100000001}}',
      status: 200,
      contentType: 'application/json',
    });
    expect(await bind(client)).toEqual({ subsId: '12345678901234567890', phoneX: X });
    expect(stub.requests[0]).toMatchObject({ method: 'GET', signatureOk: true, scheme: 'v3' });
    expect(stub.requests[0]!.params).toMatchObject({ PoolKey: POOL, PhoneNoA: A });
  });

  it('signs with the older HMAC-SHA1 RPC scheme when configured, by GET and by POST', async () => {
    for (const method of ['POST', 'GET'] as const) {
      stub.reset();
      const client = makeClient({ signature: 'rpc' }, { method });
      await bind(client);
      const sent = stub.requests[0]!;
      expect(sent).toMatchObject({ method, scheme: 'rpc', signatureOk: true });
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.params).toMatchObject({
        Action: 'BindAxb',
        Format: 'JSON',
        Version: '2017-05-25',
        AccessKeyId: 'stub-key',
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
        RegionId: 'cn-hangzhou',
        PoolKey: POOL,
      });
      expect(sent.params.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it('turns a final Code into a ProviderCodeError with code, message and RequestId, once', async () => {
    const client = makeClient();
    stub.script(codeError('isv.BIND_CONFLICT', 'A already bound on this X'));
    const err = await failure(bind(client), ProviderCodeError);
    expect(err).toMatchObject({
      code: 'isv.BIND_CONFLICT',
      providerMessage: 'A already bound on this X',
      requestId: 'req-isv.BIND_CONFLICT',
      action: 'BindAxb',
      kind: 'conflict',
      retryable: false,
      mutating: true,
      outcome: 'not-applied',
      attempt: 1,
    });
    expect(stub.count()).toBe(1);
  });

  it('does not retry a read-only action on a final Code', async () => {
    const client = makeClient();
    stub.script(codeError('isv.SUBS_NOT_EXIST'));
    const err = await failure(detail(client), ProviderCodeError);
    expect(err).toMatchObject({ kind: 'not-found', retryable: false, outcome: 'not-applied' });
    expect(stub.count()).toBe(1);
  });

  it('retries a read-only action on isv.FLOW_LIMIT with a fresh nonce, then succeeds', async () => {
    const events: ProviderCallEvent[] = [];
    const client = makeClient({}, { observer: { onCall: (e) => events.push(e) } });
    stub.script(codeError('isv.FLOW_LIMIT'));
    const result = await client.queryCallStatus({ poolKey: POOL, subsId: '1', callerNo: A });
    expect(result.status).toBe(2);
    expect(stub.count('QueryCallStatus')).toBe(2);
    const [first, second] = stub.requests;
    expect(first!.nonce).not.toBe(second!.nonce);
    expect(events.map((e) => [e.attempt, e.outcome, e.code, e.willRetry])).toEqual([
      [1, 'code-error', 'isv.FLOW_LIMIT', true],
      [2, 'ok', 'OK', false],
    ]);
  });

  it('gives up on a read after 1 + readRetries attempts of a retryable Code', async () => {
    const client = makeClient();
    stub.handle(() => codeError('isp.SYSTEM_ERROR', 'system error', 500));
    const err = await failure(detail(client), ProviderCodeError);
    expect(err).toMatchObject({ retryable: true, attempt: 3, outcome: 'not-applied' });
    expect(stub.count()).toBe(3);
  });

  it('never retries a mutating action, and a provider-internal error leaves its outcome unknown', async () => {
    const client = makeClient();
    stub.handle(() => codeError('isp.SYSTEM_ERROR', 'system error', 500));
    const err = await failure(bind(client), ProviderCodeError);
    expect(err).toMatchObject({ retryable: true, outcome: 'unknown', attempt: 1 });
    expect(stub.count()).toBe(1);
  });

  it('reports a non-JSON 502 as a bad response: retried for reads, once and unknown for writes', async () => {
    const client = makeClient();
    stub.handle(() => ({ raw: '<html>502 Bad Gateway</html>', status: 502 }));
    const read = await failure(detail(client), ProviderBadResponseError);
    expect(read).toMatchObject({ reason: 'not-json', status: 502, retryable: true, attempt: 3 });
    expect(stub.count()).toBe(3);

    stub.requests.length = 0;
    const write = await failure(
      client.unbindSubscription({ poolKey: POOL, subsId: '1', phoneX: X }),
      ProviderBadResponseError,
    );
    expect(write).toMatchObject({ reason: 'not-json', outcome: 'unknown', mutating: true });
    expect(stub.count()).toBe(1);
  });

  it('reports an HTTP 500 without a Code as a ProviderHttpError', async () => {
    const client = makeClient({ readRetries: 0 });
    stub.handle(() => ({ json: { error: 'boom' }, status: 500 }));
    const err = await failure(
      client.releaseSecretNo({ poolKey: POOL, phoneX: X }),
      ProviderHttpError,
    );
    expect(err).toMatchObject({ status: 500, retryable: true, outcome: 'unknown' });
    const read = await failure(detail(client), ProviderHttpError);
    expect(read.outcome).toBe('not-applied');
  });

  it('reports an OK envelope without the DTO of a write as a bad response with unknown outcome', async () => {
    const client = makeClient();
    stub.script(ok());
    const err = await failure(bind(client), ProviderBadResponseError);
    expect(err).toMatchObject({ reason: 'missing-dto', outcome: 'unknown', retryable: false });
  });

  it('surfaces a reset during BindAxb as outcome unknown after exactly one request', async () => {
    const client = makeClient();
    stub.handle(() => 'reset');
    const err = await failure(bind(client), ProviderConnectionError);
    expect(err).toMatchObject({ sent: true, outcome: 'unknown', retryable: true, attempt: 1 });
    expect(stub.count('BindAxb')).toBe(1);
  });

  it('retries a read-only action after resets, then fails with a connection error', async () => {
    const client = makeClient();
    stub.handle(() => 'reset');
    const err = await failure(detail(client), ProviderConnectionError);
    expect(err).toMatchObject({ outcome: 'not-applied', attempt: 3 });
    expect(stub.count()).toBe(3);
  });

  it('times out a slow BindAxb after one attempt with outcome unknown', async () => {
    const client = makeClient({ timeoutMs: 500 });
    stub.handle(() => 'hang');
    const err = await failure(bind(client), ProviderTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 500, outcome: 'unknown', mutating: true, attempt: 1 });
    expect(stub.count()).toBe(1);
  });

  it('retries a slow read up to readRetries, then fails with a timeout', async () => {
    const client = makeClient({ timeoutMs: 400 });
    stub.handle(() => 'hang');
    const err = await failure(detail(client), ProviderTimeoutError);
    expect(err).toMatchObject({ attempt: 3, outcome: 'not-applied', timeoutMs: 400 });
    expect(stub.count()).toBe(3);
  });

  it('recovers a read whose first attempt was slow', async () => {
    const client = makeClient({ timeoutMs: 1_000 });
    stub.script('hang');
    expect((await detail(client)).active).toBe(true);
    expect(stub.count()).toBe(2);
  });

  it('honours a per-call timeout, retry count and the caller signal', async () => {
    const client = makeClient({ timeoutMs: 5_000 });
    stub.handle(() => 'hang');
    const timedOut = await failure(
      client.queryCallStatus(
        { poolKey: POOL, subsId: '1', callerNo: A },
        { timeoutMs: 400, retries: 0 },
      ),
      ProviderTimeoutError,
    );
    expect(timedOut).toMatchObject({ timeoutMs: 400, attempt: 1 });
    expect(stub.count()).toBe(1);

    const inFlight = await failure(
      client.bindAxb(
        { poolKey: POOL, phoneA: A, phoneB: B, expiresAt: new Date(Date.now() + 3_600_000) },
        { signal: AbortSignal.timeout(400) },
      ),
      ProviderAbortedError,
    );
    expect(inFlight).toMatchObject({ outcome: 'unknown', retryable: false });
    expect(stub.count('BindAxb')).toBe(1);

    const already = new AbortController();
    already.abort();
    const notSent = await failure(
      client.bindAxb(
        { poolKey: POOL, phoneA: A, phoneB: B, expiresAt: new Date(Date.now() + 3_600_000) },
        { signal: already.signal },
      ),
      ProviderAbortedError,
    );
    expect(notSent.outcome).toBe('not-applied');
    expect(stub.count('BindAxb')).toBe(1);
  });

  it('reports connection refused as not applied, even for BindAxb', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const client = makeClient({ endpoint: `http://127.0.0.1:${port}` });
    const err = await failure(bind(client), ProviderConnectionError);
    expect(err).toMatchObject({ errorCode: 'ECONNREFUSED', sent: false, outcome: 'not-applied' });
  });

  it('logs one masked debug line per attempt, never a full phone number', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(Logger.prototype, 'debug').mockImplementation((message: unknown) => {
      lines.push(String(message));
    });
    try {
      const client = makeClient();
      stub.script(codeError('isv.FLOW_LIMIT', `limit for ${A}`));
      await client.queryCallStatus(
        { poolKey: POOL, subsId: '1', callerNo: A },
        { requestId: 'corr-9' },
      );
      await bind(client);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^QueryCallStatus #1 isv\.FLOW_LIMIT \d+ms RequestId=req-isv\.FLOW_LIMIT requestId=corr-9 CallNo=138\*\*\*\*0001/,
    );
    expect(lines[2]).toContain('PhoneNoA=138****0001 PhoneNoB=139****0002');
    for (const line of lines) {
      expect(line).not.toMatch(/\d{7,}\D*$/);
      expect(line).not.toContain(A);
      expect(line).not.toContain(B);
    }
  });

  it('refuses to start without an endpoint', () => {
    expect(
      () =>
        new DyplsapiClient({
          accessKeyId: 'k',
          accessKeySecret: 's',
          regionId: 'cn-hangzhou',
          timeoutMs: 100,
          connections: 1,
          readRetries: 0,
        }),
    ).toThrow(/provider\.endpoint/);
  });
});
