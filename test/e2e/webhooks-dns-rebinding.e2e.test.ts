import { Global, Module } from '@nestjs/common';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WEBHOOK_HOST_RESOLVER,
  type HostResolver,
} from '../../src/webhooks/endpoint-url.policy.js';
import type { WebhookEndpointWithSecretView } from '../../src/webhooks/webhook.views.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * DNS rebinding (WEBHOOKS_ALLOW_PRIVATE_URLS off): a host name that resolved to a public address
 * when its endpoint was registered, and resolves to loopback when an event is delivered, is not
 * connected to — the try fails naming the address, and the real receiver listening there gets
 * nothing. The service resolves names through the resolver this test answers for.
 */
const HOST = 'hooks.rebinding.test';
const answers = new Map<string, string[]>([[HOST, ['93.184.216.34']]]);
const resolver: HostResolver = async (host) => {
  const addresses = answers.get(host);
  if (!addresses)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

@Global()
@Module({
  providers: [{ provide: WEBHOOK_HOST_RESOLVER, useValue: resolver }],
  exports: [WEBHOOK_HOST_RESOLVER],
})
class TestResolverModule {}

let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let t: TestApp;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await receiver.start();
  t = await startTestApp(
    {
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'false',
      WEBHOOKS_DISPATCH_INTERVAL_MS: '20',
      WEBHOOKS_RETRY_SCHEDULE: '3600',
    },
    { databaseUrl: db.url, extraModules: [TestResolverModule] },
  );
});
afterAll(async () => {
  await t?.close();
  await receiver.close();
  await sql?.end();
  await db?.drop();
});

/** A test event to the endpoint; resolves to its first try's error once it has one. */
async function triedError(endpointId: string): Promise<string | null> {
  const sent = await http<{ deliveryId: string }>(
    'POST',
    `${t.url}/v1/webhooks/endpoints/${endpointId}/test`,
  );
  expect(sent.status).toBe(202);
  const row = await until(
    async () =>
      (
        await sql.query<{ error: string | null }>(
          `SELECT error FROM webhook_attempts WHERE delivery_id = $1`,
          [sent.body.deliveryId],
        )
      ).rows[0],
    (r) => r !== undefined,
    'the first try',
  );
  return row!.error;
}

describe('webhook delivery and DNS rebinding', () => {
  it('refuses to connect when a registered name resolves to a private or loopback address at delivery', async () => {
    // Registration: the name is public now; loopback by its address is refused as before.
    const refused = await http<{ fields: Array<{ field: string }> }>(
      'POST',
      `${t.url}/v1/webhooks/endpoints`,
      { url: receiver.url, events: ['binding.created'] },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.fields.map((f) => f.field)).toEqual(['url']);
    const url = `http://${HOST}:${receiver.port}/events`;
    const made = await http<WebhookEndpointWithSecretView>(
      'POST',
      `${t.url}/v1/webhooks/endpoints`,
      {
        url,
        events: ['binding.created'],
      },
    );
    expect(made.status).toBe(201);

    // Delivery: the name now points at the receiver on loopback. Not connected to.
    answers.set(HOST, ['127.0.0.1']);
    expect(await triedError(made.body.id)).toMatch(
      /hooks\.rebinding\.test is at 127\.0\.0\.1, a private, loopback or link-local address/,
    );
    // One private address among public ones is enough to refuse.
    answers.set(HOST, ['93.184.216.34', '10.0.0.7']);
    expect(await triedError(made.body.id)).toMatch(/is at 10\.0\.0\.7, a private/);
    // An endpoint stored with a loopback address (registered while private URLs were allowed)
    // is not connected to either: an address in the URL is checked without a lookup.
    await sql.query(`UPDATE webhook_endpoints SET url = $2 WHERE id = $1`, [
      made.body.id,
      receiver.url,
    ]);
    expect(await triedError(made.body.id)).toMatch(/127\.0\.0\.1 is at 127\.0\.0\.1, a private/);
    expect(receiver.received).toHaveLength(0);
  });
});
