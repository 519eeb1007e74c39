import { describe, expect, it } from 'vitest';
import { decodeMessageBody } from '../../src/messages/message-body.js';
import { QueueCredentials } from '../../src/messages/queue-credentials.js';
import type {
  DybaseapiClient,
  QueueCredential,
} from '../../src/provider/dybaseapi/dybaseapi.client.js';

/** Dybaseapi stand-in: counts requests, hands out credentials living `ttlMs` from `now`. */
function tokens(now: () => number, ttlMs: number) {
  const asked: Array<{ messageType: string; queueName: string }> = [];
  const client = {
    async queryTokenForMnsQueue(input: { messageType: string; queueName: string }) {
      asked.push(input);
      await Promise.resolve();
      const credential: QueueCredential = {
        accessKeyId: `STS.${asked.length}`,
        accessKeySecret: 's',
        securityToken: 't',
        expiresAt: new Date(now() + ttlMs),
      };
      return credential;
    },
  } as unknown as DybaseapiClient;
  return { client, asked };
}

describe('QueueCredentials', () => {
  const signal = new AbortController().signal;

  it('asks once per queue, shares one request between concurrent pollers', async () => {
    const t = 0;
    const { client, asked } = tokens(() => t, 3_600_000);
    const credentials = new QueueCredentials(client, '42', 120_000, () => t);
    const [a, b] = await Promise.all([
      credentials.get('SecretReport', signal),
      credentials.get('SecretReport', signal),
    ]);
    expect(a).toBe(b);
    expect(asked).toEqual([
      { messageType: 'SecretReport', queueName: 'Alicom-Queue-42-SecretReport' },
    ]);
    await credentials.get('SecretExceptionPhoneReport', signal);
    expect(asked).toHaveLength(2);
  });

  it('renews before ExpireTime, and at once when invalidated', async () => {
    let t = 0;
    const { client, asked } = tokens(() => t, 3_600_000);
    const credentials = new QueueCredentials(client, '42', 120_000, () => t);
    await credentials.get('SecretReport', signal);
    t = 3_600_000 - 120_001;
    expect((await credentials.get('SecretReport', signal)).accessKeyId).toBe('STS.1');
    t = 3_600_000 - 120_000;
    expect((await credentials.get('SecretReport', signal)).accessKeyId).toBe('STS.2');
    credentials.invalidate('SecretReport');
    expect((await credentials.get('SecretReport', signal)).accessKeyId).toBe('STS.3');
    expect(asked).toHaveLength(3);
  });

  it('renews a short-lived credential half-way through, not on every poll', async () => {
    let t = 0;
    const { client, asked } = tokens(() => t, 10_000);
    const credentials = new QueueCredentials(client, '42', 120_000, () => t);
    await credentials.get('SecretReport', signal);
    t = 4_000;
    await credentials.get('SecretReport', signal);
    expect(asked).toHaveLength(1);
    t = 5_000;
    await credentials.get('SecretReport', signal);
    expect(asked).toHaveLength(2);
  });
});

describe('decodeMessageBody', () => {
  it('reads JSON, keeping integers beyond 2^53 exact', () => {
    expect(decodeMessageBody('{"sub_id":1000043068030001234,"call_id":"c"}')).toEqual({
      ok: true,
      record: { sub_id: '1000043068030001234', call_id: 'c' },
    });
  });

  it('reads base64 of JSON, and refuses anything else', () => {
    const encoded = Buffer.from('{"call_id":"c"}').toString('base64');
    expect(decodeMessageBody(encoded)).toEqual({ ok: true, record: { call_id: 'c' } });
    expect(decodeMessageBody('not json')).toMatchObject({ ok: false });
    expect(decodeMessageBody('')).toMatchObject({ ok: false });
  });
});
