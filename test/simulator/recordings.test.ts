import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  alicomQueueName,
  ALICOM_MNS_ACCOUNT,
  parseSecretAsrReport,
  type MessageType,
} from '../../src/protocol/alicom-messages.js';
import { readAsrSentences } from '../../src/protocol/secret-asr.js';
import {
  control,
  expiresIn,
  HOUR,
  KEY_ID,
  KEY_SECRET,
  placeCall,
  POOL,
  useTestSimulator,
  v3Client,
  v3Code,
} from './helpers.js';

/**
 * Recordings and transcripts: links the simulator signs (QueryRecordFileDownloadUrl, record_url)
 * and serves as a real WAV, refused once expired by the simulated clock or tampered with;
 * GetSecretAsrDetail; SecretRecording and SecretAsrReport on the queues, read with Alibaba's MNS
 * client.
 */
const t = useTestSimulator({ mnsVisibilityTimeoutMs: 60_000 });
const require = createRequire(import.meta.url);

interface MnsClient {
  receiveMessage(
    queue: string,
    waitSeconds?: number,
  ): Promise<{ code: number; body: Record<string, string> }>;
  deleteMessage(queue: string, handle: string): Promise<{ code: number }>;
}
const MNSClient = require('@alicloud/mns') as new (
  accountId: string,
  options: Record<string, string>,
) => MnsClient;
const Dybaseapi = require('@alicloud/dybaseapi') as new (config: Record<string, string>) => {
  queryTokenForMnsQueue(params: Record<string, string>): Promise<{
    MessageTokenDTO: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string };
  }>;
};

/** Receives and deletes the next message of a type, as a consumer does (pls-sdk's flow). */
async function nextMessage(type: MessageType): Promise<unknown> {
  const dybaseapi = new Dybaseapi({
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    endpoint: t.sim.url,
  });
  const token = (await dybaseapi.queryTokenForMnsQueue({ MessageType: type })).MessageTokenDTO;
  const mns = new MNSClient(ALICOM_MNS_ACCOUNT, {
    endpoint: t.sim.mnsEndpoint,
    accessKeyId: token.AccessKeyId,
    accessKeySecret: token.AccessKeySecret,
    securityToken: token.SecurityToken,
  });
  const queue = alicomQueueName(t.sim.accountUid, type);
  const res = await mns.receiveMessage(queue, 1);
  expect((await mns.deleteMessage(queue, res.body.ReceiptHandle!)).code).toBe(204);
  return JSON.parse(res.body.MessageBody!) as unknown;
}

const LINES = ['师傅，我的伞落在车上了。', '好的，我看到了，给您送回去。'];

async function recordedCall(params: Record<string, boolean> = { ASRStatus: true }) {
  const bound = await v3Client(t.sim).call('BindAxb', {
    PoolKey: POOL,
    PhoneNoA: '13800550001',
    PhoneNoB: '13900550001',
    Expiration: await expiresIn(t.sim, 24 * HOUR),
    IsRecordingEnabled: true,
    ...params,
  });
  const { SubsId } = bound.SecretBindDTO as { SubsId: string };
  const call = await placeCall(t.sim, SubsId, 'A', { durationSeconds: 30, transcript: LINES });
  return call.record as Record<string, string>;
}

const link = (record: Record<string, string>, callTime = record.call_time!) =>
  v3Client(t.sim).call('QueryRecordFileDownloadUrl', {
    PoolKey: POOL,
    CallId: record.call_id!,
    CallTime: callTime,
  });

async function ossError(url: string): Promise<{ status: number; code: string; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '', text };
}

async function expectWav(url: string): Promise<void> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('audio/wav');
  const wav = Buffer.from(await res.arrayBuffer());
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  // PCM, mono, 16-bit; some hundreds of ms of audio.
  expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt16LE(34)]).toEqual([1, 1, 16]);
  const ms = (wav.readUInt32LE(40) / wav.readUInt32LE(28)) * 1000;
  expect(ms).toBeGreaterThanOrEqual(200);
  expect(ms).toBeLessThan(2000);
}

describe('recording links', () => {
  it('QueryRecordFileDownloadUrl signs a link to a real WAV, valid 2 h by the simulated clock', async () => {
    const record = await recordedCall();
    // The call record's own record_url is served too (it lives 7 days).
    await expectWav(record.record_url!);
    await expectWav(record.ring_record_url!);

    const answer = await link(record);
    expect(answer.Code).toBe('OK');
    const url = String(answer.DownloadUrl);
    expect(new URL(url).searchParams.get('OSSAccessKeyId')).toBeTruthy();
    const expires = Number(new URL(url).searchParams.get('Expires')) * 1000;
    const now = await control(t.sim).now();
    expect(expires - now).toBeGreaterThan(2 * HOUR - 5_000);
    expect(expires - now).toBeLessThanOrEqual(2 * HOUR);
    await expectWav(url);

    await control(t.sim).post('/clock/advance', { ms: 2 * HOUR + 1_000 });
    const expired = await ossError(url);
    expect(expired).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(expired.text).toContain('Request has expired.');
    // A fresh link works again: the recording itself is kept 30 days.
    await expectWav(String((await link(record)).DownloadUrl));

    await control(t.sim).post('/clock/advance', { ms: 30 * 24 * HOUR });
    expect(await v3Code(link(record))).toBe('isv.ILLEGAL_ARGUMENT');
  });

  it('refuses a tampered or unsigned link with OSS’s 403', async () => {
    const record = await recordedCall();
    const url = new URL(String((await link(record)).DownloadUrl));

    const resigned = new URL(url);
    resigned.searchParams.set('Signature', 'AAAA' + url.searchParams.get('Signature')!.slice(4));
    expect(await ossError(String(resigned))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    const extended = new URL(url);
    extended.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 86_400));
    expect((await ossError(String(extended))).code).toBe('SignatureDoesNotMatch');
    const otherCall = new URL(url);
    otherCall.pathname = otherCall.pathname.replace('.wav', '_ring.wav');
    expect((await ossError(String(otherCall))).code).toBe('SignatureDoesNotMatch');
    expect(await ossError(`${url.origin}${url.pathname}`)).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('answers isv.ILLEGAL_ARGUMENT for calls without a recording, unknown calls and epoch CallTime', async () => {
    const record = await recordedCall();
    const bound = await v3Client(t.sim).call('BindAxb', {
      PoolKey: POOL,
      PhoneNoA: '13800550009',
      PhoneNoB: '13900550009',
      Expiration: await expiresIn(t.sim, HOUR),
    });
    const plain = await placeCall(t.sim, (bound.SecretBindDTO as { SubsId: string }).SubsId, 'A');
    expect(plain.record.record_url).toBe('');
    expect(await v3Code(link(plain.record as Record<string, string>))).toBe('isv.ILLEGAL_ARGUMENT');
    expect(await v3Code(link({ ...record, call_id: 'feedbeef00000000' }))).toBe(
      'isv.ILLEGAL_ARGUMENT',
    );
    expect(await v3Code(link(record, String(Date.now())))).toBe('isv.ILLEGAL_ARGUMENT');
    expect(await v3Code(link(record, '2001-01-01 00:00:00'))).toBe('isv.ILLEGAL_ARGUMENT');
    expect(
      await v3Code(
        v3Client(t.sim).call('QueryRecordFileDownloadUrl', { PoolKey: POOL, CallTime: 'x' }),
      ),
    ).toBe('MissingCallId');
  });
});

describe('transcripts', () => {
  it('GetSecretAsrDetail answers the sentences, and SecretAsrReport carries the same', async () => {
    const record = await recordedCall();
    const answer = await v3Client(t.sim).call('GetSecretAsrDetail', {
      PoolKey: POOL,
      CallId: record.call_id!,
      CallTime: record.call_time!,
    });
    expect(answer.Code).toBe('OK');
    const data = answer.Data as Record<string, unknown>;
    expect(data).toMatchObject({ Code: '21050000', Msg: 'SUCCESS', BizDuration: 30_000 });
    const sentences = readAsrSentences(data.Sentences, 'pascal')!;
    expect(sentences.map((s) => [s.channelId, s.text])).toEqual([
      [0, LINES[0]],
      [1, LINES[1]],
    ]);
    for (const s of sentences) {
      expect(s.beginTimeMs!).toBeLessThan(s.endTimeMs!);
      expect(s.endTimeMs!).toBeLessThanOrEqual(30_000);
    }

    // The queues got the recording, then the transcript, as the platform sends them.
    expect(await nextMessage('SecretRecording')).toMatchObject({
      call_id: record.call_id,
      pool_key: POOL,
    });
    const message = await nextMessage('SecretAsrReport');
    expect(message).toMatchObject({
      callId: record.call_id,
      partnerKey: POOL,
      secretNo: record.secret_no,
      statusCode: '21050000',
      bizDuration: 30_000,
    });
    // The message spells silenceDuration, speechRate and emotionValue as strings.
    expect((message as { sentences: Record<string, unknown>[] }).sentences[0]).toMatchObject({
      speechRate: expect.any(String),
      silenceDuration: '0',
      emotionValue: expect.any(String),
    });
    const parsed = parseSecretAsrReport(message);
    expect(parsed).toMatchObject({ ok: true, report: { callId: record.call_id, sentences } });
  });

  it('has no transcript for a recorded call whose binding has ASR off', async () => {
    const record = await recordedCall({ ASRStatus: false });
    const ask = (params: Record<string, string>) =>
      v3Code(v3Client(t.sim).call('GetSecretAsrDetail', { PoolKey: POOL, ...params }));
    expect(await ask({ CallId: record.call_id!, CallTime: record.call_time! })).toBe(
      'isv.ILLEGAL_ARGUMENT',
    );
    expect(await ask({ CallId: record.call_id! })).toBe('MissingCallTime');
    const queues = (await control(t.sim).get('/mns/queues')).body as unknown as {
      type: string;
      sent: number;
    }[];
    expect(queues.find((q) => q.type === 'SecretAsrReport')?.sent).toBe(0);
    expect(queues.find((q) => q.type === 'SecretRecording')?.sent).toBe(1);
  });
});
