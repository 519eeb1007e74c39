import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../simulator/server.js';
import { openApiCaller, type OpenApiCaller } from '../support/openapi-client.js';
import {
  expiresIn,
  HOUR,
  KEY_ID,
  KEY_SECRET,
  popClient,
  POOL,
  startTestSimulator,
} from './helpers.js';

let sim: RunningSimulator;
let v3: OpenApiCaller;

beforeAll(async () => {
  sim = await startTestSimulator();
  v3 = openApiCaller(sim.url, { accessKeyId: KEY_ID, accessKeySecret: KEY_SECRET });
});
afterAll(async () => {
  await sim?.close();
});

/** The Code of a call that the client rejects (HTTP 4xx/5xx) or answers with (HTTP 200). */
async function codeOf(call: Promise<Record<string, unknown>>): Promise<string> {
  try {
    return String((await call).Code);
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

describe('@alicloud/openapi-client (V3, ACS3-HMAC-SHA256 by default) against the simulator', () => {
  it('runs every action the service uses, parameters in the query as generated clients send them', async () => {
    const bought = await v3.call('BuySecretNo', { PoolKey: POOL, SpecId: 2, City: '杭州' });
    expect(bought).toMatchObject({ Code: 'OK' });
    const x = String((bought.SecretBuyInfoDTO as { SecretNo: string }).SecretNo);

    const remain = await v3.call('QuerySecretNoRemain', { SpecId: 2, City: '杭州' });
    expect(remain).toMatchObject({ Code: 'OK', SecretRemainDTO: { City: '杭州' } });

    const bound = await v3.call('BindAxb', {
      PoolKey: POOL,
      PhoneNoA: '13800110001',
      PhoneNoB: '13900110001',
      PhoneNoX: x,
      Expiration: await expiresIn(sim, HOUR),
      IsRecordingEnabled: true,
      OutId: 'v3-order-1',
    });
    expect(bound).toMatchObject({ Code: 'OK', SecretBindDTO: { SecretNo: x } });
    const subsId = String((bound.SecretBindDTO as { SubsId: string }).SubsId);

    const detail = await v3.call('QuerySubscriptionDetail', {
      PoolKey: POOL,
      SubsId: subsId,
      PhoneNoX: x,
    });
    expect(detail).toMatchObject({
      Code: 'OK',
      SecretBindDetailDTO: { SubsId: subsId, PhoneNoA: '13800110001', Status: 1 },
    });

    expect(await v3.call('QuerySubsId', { PoolKey: POOL, PhoneNoX: x })).toMatchObject({
      Code: 'OK',
      SubsId: subsId,
    });
    expect(
      await v3.call('UpdateSubscription', {
        PoolKey: POOL,
        SubsId: subsId,
        PhoneNoX: x,
        OperateType: 'updateNoB',
        PhoneNoB: '13900110002',
      }),
    ).toMatchObject({ Code: 'OK' });
    expect(
      await v3.call('QueryCallStatus', { PoolKey: POOL, SubsId: subsId, CallNo: '13800110001' }),
    ).toMatchObject({ Code: 'OK', SecretCallStatusDTO: { Status: 1, CalledNo: x } });
    expect(
      await v3.call('UnbindSubscription', { PoolKey: POOL, SubsId: subsId, SecretNo: x }),
    ).toMatchObject({ Code: 'OK' });
    expect(await v3.call('ReleaseSecretNo', { PoolKey: POOL, SecretNo: x })).toMatchObject({
      Code: 'OK',
    });
  });

  it('also accepts the parameters in a signed form body', async () => {
    const remain = await v3.call(
      'QuerySecretNoRemain',
      { SpecId: 2, City: '北京' },
      { inBody: true },
    );
    expect(remain).toMatchObject({ Code: 'OK', SecretRemainDTO: { City: '北京' } });
  });

  it('answers business errors in the body, as Alibaba does (HTTP 200)', async () => {
    const res = await v3.call('BindAxb', {
      PoolKey: POOL,
      PhoneNoA: '12345',
      PhoneNoB: '13900110009',
      Expiration: await expiresIn(sim, HOUR),
    });
    expect(res.Code).toBe('isv.MOBILE_NUMBER_ILLEGAL');
  });

  it('refuses a wrong secret, an unknown key and an unknown version', async () => {
    const wrong = openApiCaller(sim.url, { accessKeyId: KEY_ID, accessKeySecret: 'not-it' });
    expect(await codeOf(wrong.call('QuerySubsId', { PoolKey: POOL, PhoneNoX: '1' }))).toBe(
      'SignatureDoesNotMatch',
    );
    const stranger = openApiCaller(sim.url, { accessKeyId: 'nobody', accessKeySecret: 'x' });
    expect(await codeOf(stranger.call('QuerySubsId', { PoolKey: POOL, PhoneNoX: '1' }))).toBe(
      'InvalidAccessKeyId.NotFound',
    );
    expect(
      await codeOf(
        v3.call('QuerySubsId', { PoolKey: POOL, PhoneNoX: '1' }, { version: '2020-01-01' }),
      ),
    ).toBe('InvalidVersion');
  });

  it('the older RPC clients still pass beside it', async () => {
    const res = await popClient(sim).request('QuerySecretNoRemain', { SpecId: 2, City: '杭州' });
    expect(res).toMatchObject({ Code: 'OK' });
  });
});

describe('V3 requests built by hand: the gateway checks each rule', () => {
  async function send(headers: Record<string, string>, body = '') {
    const res = await fetch(sim.url, { method: 'POST', headers, body: body || undefined });
    return (await res.json()) as { Code: string; Message: string };
  }

  it('names a missing action, an unsigned x-acs header, a body that does not match its hash', async () => {
    expect((await send({ authorization: 'ACS3-HMAC-SHA256 Credential=x' })).Code).toBe(
      'MissingAction',
    );
    const base = {
      authorization: `ACS3-HMAC-SHA256 Credential=${KEY_ID},SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=00`,
      'x-acs-action': 'QuerySubsId',
      'x-acs-version': '2017-05-25',
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-signature-nonce': 'n-1',
      'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    };
    expect((await send({ ...base, 'x-acs-extra': 'y' })).Code).toBe('IncompleteSignature');
    expect((await send(base, 'PoolKey=1')).Code).toBe('SignatureDoesNotMatch');
    const wrongSignature = await send(base);
    expect(wrongSignature.Code).toBe('SignatureDoesNotMatch');
    expect(wrongSignature.Message).toContain('ACS3-HMAC-SHA256\n');
    expect((await send({ ...base, 'x-acs-date': '2020-01-01T00:00:00Z' })).Code).toBe(
      'InvalidTimeStamp.Expired',
    );
  });
});
