import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alicomQueueName, ALICOM_MNS_ACCOUNT } from '../../src/protocol/alicom-messages.js';
import type { RunningSimulator } from '../../simulator/server.js';
import { bind, control, KEY_ID, KEY_SECRET, popClient, startTestSimulator } from './helpers.js';

const require = createRequire(import.meta.url);

interface MnsResponse {
  code: number;
  body: Record<string, string>;
}
interface MnsClient {
  receiveMessage(queue: string, waitSeconds?: number): Promise<MnsResponse>;
  deleteMessage(queue: string, receiptHandle: string): Promise<MnsResponse>;
  sendMessage(queue: string, params: { MessageBody: string }): Promise<MnsResponse>;
  getQueueAttributes(queue: string): Promise<MnsResponse>;
}
type MnsClientConstructor = new (
  accountId: string,
  options: {
    endpoint: string;
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
  },
) => MnsClient;
interface DybaseapiClient {
  queryTokenForMnsQueue(params: Record<string, string>): Promise<{
    Code: string;
    MessageTokenDTO: {
      AccessKeyId: string;
      AccessKeySecret: string;
      SecurityToken: string;
      CreateTime: string;
      ExpireTime: string;
    };
  }>;
}

const MNSClient = require('@alicloud/mns') as MnsClientConstructor;
const Dybaseapi = require('@alicloud/dybaseapi') as new (config: {
  accessKeyId: string;
  accessKeySecret: string;
  endpoint: string;
}) => DybaseapiClient;

let sim: RunningSimulator;
let dybaseapi: DybaseapiClient;
const queueOf = (type: Parameters<typeof alicomQueueName>[1]) =>
  alicomQueueName(sim.accountUid, type);

beforeAll(async () => {
  sim = await startTestSimulator({ mnsVisibilityTimeoutMs: 60_000 });
  dybaseapi = new Dybaseapi({
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    endpoint: sim.url,
  });
});
afterAll(async () => {
  await sim?.close();
});

/** Alibaba's flow (as in `@alicloud/pls-sdk` receiveMsg): a token per type, then MNS with it. */
async function mnsFor(type: Parameters<typeof alicomQueueName>[1]): Promise<MnsClient> {
  const token = await dybaseapi.queryTokenForMnsQueue({
    MessageType: type,
    QueueName: queueOf(type),
  });
  expect(token.Code).toBe('OK');
  return new MNSClient(ALICOM_MNS_ACCOUNT, {
    endpoint: sim.mnsEndpoint,
    accessKeyId: token.MessageTokenDTO.AccessKeyId,
    accessKeySecret: token.MessageTokenDTO.AccessKeySecret,
    securityToken: token.MessageTokenDTO.SecurityToken,
  });
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return (error as Error).name;
  }
}

let pair = 0;
async function aCall(extra: Record<string, unknown> = {}) {
  pair += 1;
  const n = String(pair).padStart(4, '0');
  const dto = await bind(popClient(sim), sim, {
    PhoneNoA: `1380022${n}`,
    PhoneNoB: `1390022${n}`,
    IsRecordingEnabled: true,
  });
  await control(sim).post('/calls', { subsId: dto.SubsId, caller: 'A', ...extra });
  return dto;
}

describe('QueryTokenForMnsQueue through @alicloud/dybaseapi', () => {
  it('hands out temporary credentials for the type’s queue, dated in Beijing time', async () => {
    const token = await dybaseapi.queryTokenForMnsQueue({ MessageType: 'SecretReport' });
    expect(token.MessageTokenDTO.AccessKeyId).toMatch(/^STS\./);
    expect(token.MessageTokenDTO.ExpireTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const wrong = await errorName(
      dybaseapi.queryTokenForMnsQueue({
        MessageType: 'SecretReport',
        QueueName: 'Alicom-Queue-1-X',
      }),
    );
    expect(wrong).toMatch(/INVALID_PARAMETERS/);
  });
});

describe('the MNS queue API through @alicloud/mns (custom endpoint, security token)', () => {
  it('delivers a call as start, ring, pick-up, the call record and the recording, each deleted once', async () => {
    const dto = await aCall({ durationSeconds: 30 });
    const expectations = [
      ['SecretStartReport', {}],
      ['SecretRingReport', {}],
      ['SecretPickUpReport', {}],
      ['SecretReport', { control_type: 'CONTINUE', call_type: 0, city: expect.any(String) }],
      ['SecretRecording', { call_time: expect.any(Number) }],
    ] as const;
    for (const [type, fields] of expectations) {
      const mns = await mnsFor(type);
      const res = await mns.receiveMessage(queueOf(type), 1);
      expect(res.code).toBe(200);
      expect(Number(res.body.DequeueCount)).toBe(1);
      const record = JSON.parse(res.body.MessageBody!) as Record<string, unknown>;
      expect(record).toMatchObject({ sub_id: Number(dto.SubsId), ...fields });
      expect((await mns.deleteMessage(queueOf(type), res.body.ReceiptHandle!)).code).toBe(204);
      expect(await errorName(mns.receiveMessage(queueOf(type)))).toBe('MNSMessageNotExistError');
    }
  });

  it('an intercepted call is a call record of call_type 4 and a start report only', async () => {
    await aCall({ intercepted: true });
    const mns = await mnsFor('SecretReport');
    const res = await mns.receiveMessage(queueOf('SecretReport'), 1);
    // Forced through the control API: "other" (4); the blacklist is 1, a restriction 3.
    expect(JSON.parse(res.body.MessageBody!)).toMatchObject({
      call_type: 4,
      control_type: 'REJECT',
      unconnected_cause: 4,
    });
    await mns.deleteMessage(queueOf('SecretReport'), res.body.ReceiptHandle!);
    const start = await mnsFor('SecretStartReport');
    const started = await start.receiveMessage(queueOf('SecretStartReport'), 1);
    await start.deleteMessage(queueOf('SecretStartReport'), started.body.ReceiptHandle!);
    const ring = await mnsFor('SecretRingReport');
    expect(await errorName(ring.receiveMessage(queueOf('SecretRingReport')))).toBe(
      'MNSMessageNotExistError',
    );
  });

  it('a number-health change is a SecretExceptionPhoneReport message', async () => {
    const numbers = (await control(sim).get('/numbers?poolKey=FC100000000000001')).body;
    const x = String((numbers[0] as { secretNo: string }).secretNo);
    await control(sim).post(`/numbers/${x}/health`, { status: 'abnormal' });
    const mns = await mnsFor('SecretExceptionPhoneReport');
    const res = await mns.receiveMessage(queueOf('SecretExceptionPhoneReport'), 1);
    expect(JSON.parse(res.body.MessageBody!)).toMatchObject({ secretNo: x, noStatus: 0 });
    await mns.deleteMessage(queueOf('SecretExceptionPhoneReport'), res.body.ReceiptHandle!);
    await control(sim).post(`/numbers/${x}/health`, { status: 'normal' });
  });

  it('a message not deleted within the visibility timeout comes back with a new handle', async () => {
    const queue = queueOf('SecretReport');
    await control(sim).post('/mns/queues/SecretReport', { visibilityTimeoutMs: 300 });
    try {
      await control(sim).post('/mns/queues/SecretReport/messages', { body: { call_id: 'vis-1' } });
      const mns = await mnsFor('SecretReport');
      const first = await mns.receiveMessage(queue, 1);
      // Long polling waits for the message to become visible again (within the 5 s wait).
      const second = await mns.receiveMessage(queue, 5);
      expect(second.body.MessageId).toBe(first.body.MessageId);
      expect(Number(second.body.DequeueCount)).toBe(2);
      expect(second.body.ReceiptHandle).not.toBe(first.body.ReceiptHandle);
      expect(await errorName(mns.deleteMessage(queue, first.body.ReceiptHandle!))).toBe(
        'MNSMessageNotExistError',
      );
      expect((await mns.deleteMessage(queue, second.body.ReceiptHandle!)).code).toBe(204);
    } finally {
      await control(sim).post('/mns/queues/SecretReport', { visibilityTimeoutMs: 60_000 });
    }
  });

  it('a long poll returns the message published while it waits', async () => {
    const mns = await mnsFor('SecretReport');
    const waiting = mns.receiveMessage(queueOf('SecretReport'), 10);
    await control(sim).post('/mns/queues/SecretReport/messages', { body: { call_id: 'late-1' } });
    const res = await waiting;
    expect(JSON.parse(res.body.MessageBody!)).toEqual({ call_id: 'late-1' });
    await mns.deleteMessage(queueOf('SecretReport'), res.body.ReceiptHandle!);
  });

  it('checks signatures, tokens, their expiry and their queue, as MNS does', async () => {
    const mns = await mnsFor('SecretReport');
    expect((await mns.getQueueAttributes(queueOf('SecretReport'))).body.QueueName).toBe(
      queueOf('SecretReport'),
    );
    expect(await errorName(mns.receiveMessage(queueOf('SecretRecording')))).toBe(
      'MNSAccessDeniedError',
    );
    const token = await dybaseapi.queryTokenForMnsQueue({ MessageType: 'SecretReport' });
    const forged = new MNSClient(ALICOM_MNS_ACCOUNT, {
      endpoint: sim.mnsEndpoint,
      accessKeyId: token.MessageTokenDTO.AccessKeyId,
      accessKeySecret: 'not-the-secret',
      securityToken: token.MessageTokenDTO.SecurityToken,
    });
    expect(await errorName(forged.receiveMessage(queueOf('SecretReport')))).toBe(
      'MNSSignatureDoesNotMatchError',
    );
    const tokenless = new MNSClient(ALICOM_MNS_ACCOUNT, {
      endpoint: sim.mnsEndpoint,
      accessKeyId: token.MessageTokenDTO.AccessKeyId,
      accessKeySecret: token.MessageTokenDTO.AccessKeySecret,
    });
    expect(await errorName(tokenless.receiveMessage(queueOf('SecretReport')))).toBe(
      'MNSInvalidSecurityTokenError',
    );
    await control(sim).post('/mns/tokens/expire');
    expect(await errorName(mns.receiveMessage(queueOf('SecretReport')))).toBe(
      'MNSSecurityTokenExpiredError',
    );
    const fresh = await mnsFor('SecretReport');
    expect(await errorName(fresh.receiveMessage(queueOf('SecretReport')))).toBe(
      'MNSMessageNotExistError',
    );
  });
});
