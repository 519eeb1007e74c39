import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alicomQueueName, ALICOM_MNS_ACCOUNT } from '../../src/protocol/alicom-messages.js';
import { mnsSignature } from '../../src/protocol/mns-signature.js';
import { readMnsXml, writeMnsXml } from '../../src/protocol/mns-xml.js';
import { MnsError, MnsQueueClient } from '../../src/messages/mns-queue.client.js';
import { DybaseapiClient } from '../../src/provider/dybaseapi/dybaseapi.client.js';
import {
  startTestSimulator,
  SIM_KEY_ID,
  SIM_KEY_SECRET,
  type TestSimulator,
} from '../support/simulator.js';

const require = createRequire(import.meta.url);
interface OfficialMns {
  buildHeaders(
    method: string,
    body: string | Buffer,
    resource: string,
    custom?: Record<string, string>,
  ): Record<string, string | number>;
}
const MNSClient = require('@alicloud/mns') as new (
  account: string,
  options: Record<string, unknown>,
) => OfficialMns;
const OfficialDybaseapi = require('@alicloud/dybaseapi') as new (
  config: Record<string, string>,
) => {
  queryTokenForMnsQueue(params: Record<string, string>): Promise<Record<string, unknown>>;
};

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ mnsVisibilityTimeoutMs: 60_000 });
});
afterAll(async () => {
  await sim?.close();
});

const queue = () => alicomQueueName(sim.accountUid, 'SecretReport');

describe('our MNS signer against @alicloud/mns', () => {
  it('signs exactly as the official client does, for 300 random requests', () => {
    let state = 42;
    const next = () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const official = new MNSClient(ALICOM_MNS_ACCOUNT, {
      endpoint: 'http://127.0.0.1:1/mns',
      accessKeyId: 'STS.abc',
      accessKeySecret: 'secret-of-the-token',
      securityToken: 'token',
    });
    for (let round = 0; round < 300; round += 1) {
      const method = pick(['GET', 'DELETE', 'POST', 'PUT'] as const);
      const resource = pick([
        `/queues/q${round}/messages?waitseconds=${round % 31}`,
        `/queues/Alicom-Queue-1-SecretReport/messages?ReceiptHandle=1-${round.toString(36)}==`,
        `/queues/q/messages?peekonly=true&numOfMessages=${round % 16}`,
        '/queues',
      ]);
      const body =
        method === 'GET' || method === 'DELETE'
          ? ''
          : writeMnsXml('Message', {
              MessageBody: `{"call_id":"${round}","city":"杭州 <&>"}`,
            });
      const custom: Record<string, string> =
        next() < 0.3 ? { 'x-mns-marker': `m${round}`, 'x-mns-ret-number': '5' } : {};
      const headers = official.buildHeaders(method, body, resource, custom);
      const stringHeaders = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, String(v)]),
      );
      const signature = String(headers.authorization).replace(/^MNS STS\.abc:/, '');
      expect(
        mnsSignature(method, stringHeaders, resource, 'secret-of-the-token'),
        `round ${round}`,
      ).toBe(signature);
    }
  });

  it('writes and reads the MNS XML documents', () => {
    const text = writeMnsXml('Message', { MessageBody: '{"a":"<b>&\'"}', DequeueCount: 2 });
    expect(readMnsXml(text)).toEqual({
      root: 'Message',
      fields: { MessageBody: '{"a":"<b>&\'"}', DequeueCount: '2' },
    });
    expect(readMnsXml('<Message><A><B>x</B></A></Message>')).toBeUndefined();
    expect(readMnsXml('not xml')).toBeUndefined();
  });
});

describe('DybaseapiClient and MnsQueueClient against the simulator', () => {
  const dybaseapi = (signature: 'v3' | 'rpc') =>
    new DybaseapiClient({
      endpoint: sim.url,
      accessKeyId: SIM_KEY_ID,
      accessKeySecret: SIM_KEY_SECRET,
      regionId: 'cn-hangzhou',
      timeoutMs: 5_000,
      signature,
    });

  it('gets temporary credentials in either signature, as @alicloud/dybaseapi does', async () => {
    for (const scheme of ['v3', 'rpc'] as const) {
      const client = dybaseapi(scheme);
      const credential = await client.queryTokenForMnsQueue({
        messageType: 'SecretReport',
        queueName: queue(),
      });
      expect(credential.accessKeyId).toMatch(/^STS\./);
      expect(credential.expiresAt.getTime()).toBeGreaterThan(Date.now());
      await client.close();
    }
    const official = new OfficialDybaseapi({
      accessKeyId: SIM_KEY_ID,
      accessKeySecret: SIM_KEY_SECRET,
      endpoint: sim.url,
    });
    const theirs = await official.queryTokenForMnsQueue({ MessageType: 'SecretReport' });
    expect(Object.keys(theirs.MessageTokenDTO as object).sort()).toEqual(
      ['AccessKeyId', 'AccessKeySecret', 'CreateTime', 'ExpireTime', 'SecurityToken'].sort(),
    );
  });

  it('receives, deletes, reports an empty poll as null and MNS errors by code', async () => {
    const client = new MnsQueueClient(sim.mnsEndpoint, 5_000);
    const tokens = dybaseapi('v3');
    const credential = await tokens.queryTokenForMnsQueue({
      messageType: 'SecretReport',
      queueName: queue(),
    });
    const none = new AbortController().signal;
    await sim.control('POST', '/mns/queues/SecretReport/messages', { body: { call_id: 'c-1' } });
    const message = await client.receive(queue(), 1, credential, none);
    expect(message).toMatchObject({ body: '{"call_id":"c-1"}', dequeueCount: 1 });
    await client.delete(queue(), message!.receiptHandle, credential, none);
    expect(await client.receive(queue(), 0, credential, none)).toBeNull();
    const error = await client
      .delete(queue(), message!.receiptHandle, credential, none)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnsError);
    expect(error).toMatchObject({ status: 404, code: 'MessageNotExist' });

    await sim.control('POST', '/mns/tokens/expire');
    const expired = await client.receive(queue(), 0, credential, none).catch((e: unknown) => e);
    expect(expired).toMatchObject({ code: 'SecurityTokenExpired', credentialProblem: true });
    await client.close();
    await tokens.close();
  });

  it('ends a long poll at once when its signal aborts', async () => {
    const client = new MnsQueueClient(sim.mnsEndpoint, 5_000);
    const credential = { accessKeyId: SIM_KEY_ID, accessKeySecret: SIM_KEY_SECRET };
    const stop = new AbortController();
    const polling = client.receive(queue(), 30, credential, stop.signal).then(
      () => 'answered',
      () => 'aborted',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    expect(await polling).toBe('aborted');
    await client.close();
  });
});
