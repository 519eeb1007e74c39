import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, webhookSignature } from '../../../src/webhooks/webhook-signature.js';

/** Our signatures, checked by the `standardwebhooks` package as a receiver would check them. */
describe('webhook signatures (Standard Webhooks)', () => {
  const body = JSON.stringify({ type: 'binding.created', timestamp: '2026-12-07T00:00:00.000Z' });

  it('makes secrets of whsec_ + base64 of at least 24 random bytes, each new', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(a).not.toBe(b);
  });

  it('signs id.timestamp.body so that standardwebhooks verifies it, and nothing altered', () => {
    const secret = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': webhookSignature('msg_1', ts, body, [secret]),
    };
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    // The package's own signature is ours, byte for byte.
    expect(new Webhook(secret).sign('msg_1', new Date(ts * 1000), body)).toBe(
      headers['webhook-signature'],
    );
  });

  it('during a rotation signs with both secrets: a receiver holding either verifies', () => {
    const [older, newer] = [newWebhookSecret(), newWebhookSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const signature = webhookSignature('msg_9', ts, body, [newer, older]);
    expect(signature.split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': 'msg_9',
      'webhook-timestamp': String(ts),
      'webhook-signature': signature,
    };
    for (const secret of [older, newer])
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });
});
