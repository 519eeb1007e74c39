import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import type {
  WebhookDeliveryPageView,
  WebhookEndpointWithSecretView,
} from '../../src/webhooks/webhook.views.js';
import { http } from '../support/test-app.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Events to subscribers over real HTTP (issue 24): the real service binds through the simulator,
 * the outbox triggers write events in the binding's own transactions, pg-boss delivers them to
 * real receivers, and each request is verified with the `standardwebhooks` package as a receiver
 * would. Retries wait 0 s here (WEBHOOKS_RETRY_SCHEDULE): the schedule itself is unit-tested;
 * what is checked is what each answer leads to, never how long anything took.
 */
const POOL = 'FCHOOKS';
const ENV = {
  WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOKS_RETRY_SCHEDULE: '0,0,0',
  WEBHOOKS_TIMEOUT_MS: '1000',
  WEBHOOKS_DISPATCH_INTERVAL_MS: '20',
  WEBHOOKS_ENDPOINT_CONCURRENCY: '2',
};
let f: RoutingFixture;
let sql: pg.Client;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  f = await startRoutingFixture({ pool: POOL, buy: 2, env: ENV });
  sql = new pg.Client({ connectionString: f.t.config.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await f?.close();
  for (const r of receivers) await r.close();
});

const api = <T>(method: string, path: string, body?: unknown) =>
  http<T & { code?: string; message?: string; fields?: Array<{ field: string }> }>(
    method,
    `${f.t.url}${path}`,
    body,
  );

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  receivers.push(r);
  return r;
}

async function endpoint(r: WebhookReceiver, events: string[]) {
  const res = await api<WebhookEndpointWithSecretView>('POST', '/v1/webhooks/endpoints', {
    url: r.url,
    events,
  });
  expect(res.status).toBe(201);
  return res.body;
}

const forBinding = (r: WebhookReceiver, id: string, list: Received[] = r.delivered) =>
  list.filter((x) => x.event.data.bindingId === id);

const deliveries = async (endpointId: string) =>
  (await api<WebhookDeliveryPageView>('GET', `/v1/webhooks/endpoints/${endpointId}/deliveries`))
    .body.items;

describe('webhook endpoints (admin API)', () => {
  it('refuses bad input with a 400 naming the field, and creates nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: 'ftp://example.com/x', events: ['binding.created'] }, 'url'],
      [{ url: 'not a url', events: ['binding.created'] }, 'url'],
      [{ url: 'http://127.0.0.1:9/x', events: ['binding.exploded'] }, 'events'],
      [{ url: 'http://127.0.0.1:9/x', events: [] }, 'events'],
      [{ url: 'http://127.0.0.1:9/x' }, 'events'],
      [{ events: ['binding.created'] }, 'url'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', '/v1/webhooks/endpoints', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields?.map((x) => x.field)).toContain(field);
    }
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM webhook_endpoints');
    expect(rows[0].n).toBe(0);
    expect((await api('PATCH', '/v1/webhooks/endpoints/not-a-uuid', {})).status).toBe(400);
    expect(
      (await api('GET', '/v1/webhooks/endpoints/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
  });

  it('is for admins only', async () => {
    const res = await http('GET', `${f.t.url}/v1/webhooks/endpoints`, undefined, {
      authorization: `Bearer ${(await import('../support/test-keys.js')).TEST_KEYS.order}`,
    });
    expect(res.status).toBe(403);
  });

  it('answers the secret once (whsec_ + base64 of >= 24 bytes), never again', async () => {
    const r = await receiver();
    const created = await endpoint(r, ['binding.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const got = await api<Record<string, unknown>>('GET', `/v1/webhooks/endpoints/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await api('GET', '/v1/webhooks/endpoints')).body)).not.toContain(
      created.secret,
    );
    expect((await api('DELETE', `/v1/webhooks/endpoints/${created.id}`)).status).toBe(204);
    expect((await api('GET', `/v1/webhooks/endpoints/${created.id}`)).status).toBe(404);
  });
});

describe('webhook delivery', () => {
  it('delivers binding.created / changed / ended in order, signed, with masked numbers only', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created', 'binding.changed', 'binding.ended']);
    const b = await f.bind();
    const changed = await api<BindingView>('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 7200 });
    expect(changed.status).toBe(200);
    expect((await api('DELETE', `/v1/bindings/${b.id}`)).status).toBeLessThan(300);
    const got = await until(
      async () => forBinding(r, b.id),
      (l) => l.length >= 3,
      'three events of the binding',
    );
    expect(got.map((x) => x.event.type)).toEqual([
      'binding.created',
      'binding.changed',
      'binding.ended',
    ]);
    for (const x of got) {
      expect(WebhookReceiver.verify(x, ep.secret)).toEqual(x.event);
      expect(x.id).toMatch(/^msg_[0-9a-f]{32}$/);
      // Thin and private: no real number anywhere in what the receiver got.
      for (const phone of [b.phoneA, b.phoneB, b.phoneX])
        expect(x.body).not.toContain(String(phone));
    }
    expect(got[0]!.event.data).toMatchObject({ bindingId: b.id, outId: b.outId, state: 'active' });
    expect(String(got[0]!.event.data.phoneA)).toMatch(/^\d{3}\*{4}\d{4}$/);
    expect(got[1]!.event.data.change).toEqual(expect.arrayContaining(['expiresAt']));
    expect(got[2]!.event.data).toMatchObject({ cause: 'unbound' });
    expect(new Set(got.map((x) => x.id)).size).toBe(3);
  });

  it('writes an event in the same transaction as its change: a rollback leaves none', async () => {
    const r = await receiver();
    await endpoint(r, ['binding.changed']);
    const b = await f.bind();
    const count = async () =>
      (
        await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_events WHERE binding_id = $1 AND type = 'binding.changed'`,
          [b.id],
        )
      ).rows[0]!.n;
    await sql.query('BEGIN');
    await sql.query(
      `INSERT INTO binding_events (binding_id, kind, actor, details)
       VALUES ($1, 'updated', 'test', '{"changed":{"outId":{"from":"a","to":"b"}}}')`,
      [b.id],
    );
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_events WHERE binding_id = $1 AND type = 'binding.changed'`,
      [b.id],
    );
    expect(rows[0]!.n).toBe(1);
    await sql.query('ROLLBACK');
    expect(await count()).toBe(0);
    // The committed one is delivered; the rolled-back one never is.
    await sql.query(
      `INSERT INTO binding_events (binding_id, kind, actor, details)
       VALUES ($1, 'updated', 'test', '{"changed":["record"]}')`,
      [b.id],
    );
    const got = await until(
      async () => forBinding(r, b.id),
      (l) => l.length >= 1,
      'the commit',
    );
    expect(got.map((x) => x.event.data.change)).toEqual([['record']]);
  });

  it('retries a failed delivery with the same webhook-id until a 2xx, listing every try', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created']);
    let failures = 0;
    r.answer = () => (failures++ < 2 ? { status: 500 } : { status: 200 });
    const b = await f.bind();
    await until(
      async () => forBinding(r, b.id),
      (l) => l.length === 1,
      'the delivery',
    );
    const tries = forBinding(r, b.id, r.received);
    expect(tries.map((x) => x.answered)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((x) => x.id)).size).toBe(1);
    for (const x of tries) WebhookReceiver.verify(x, ep.secret);
    // The receiver has its answer before the try is recorded (tries are written in batches).
    const [d] = await until(
      async () => deliveries(ep.id),
      (l) => l[0]?.status !== 'pending',
      'the delivery settled',
    );
    expect(d).toMatchObject({ status: 'succeeded', attempts: 3, msgId: tries[0]!.id });
    expect(d!.tries.map((t) => t.statusCode)).toEqual([200, 500, 500]);
    expect(d!.tries.map((t) => t.attempt)).toEqual([3, 2, 1]);
    expect(d!.tries[0]).toMatchObject({ error: null, at: d!.completedAt });
    expect(d!.tries[0]!.durationMs).toBeGreaterThanOrEqual(0);
    // The failed tries have rows of their own; the successful one is on the delivery's row.
    const { rows } = await sql.query<{ attempt: number }>(
      `SELECT attempt FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [d!.id],
    );
    expect(rows.map((x) => x.attempt)).toEqual([1, 2]);
  });

  it('keeps a binding in order while an earlier event is retried', async () => {
    const r = await receiver();
    await endpoint(r, ['binding.created', 'binding.changed', 'binding.ended']);
    let refusedCreated = 0;
    r.answer = (x) =>
      x.event.type === 'binding.created' && refusedCreated++ < 2
        ? { status: 503 }
        : { status: 204 };
    const b = await f.bind();
    await api('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 5000 });
    await api('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 6000 });
    await api('DELETE', `/v1/bindings/${b.id}`);
    const got = await until(
      async () => forBinding(r, b.id),
      (l) => l.length >= 4,
      'four',
    );
    expect(got.map((x) => x.event.type)).toEqual([
      'binding.created',
      'binding.changed',
      'binding.changed',
      'binding.ended',
    ]);
    // Nothing of the binding was even sent before its first event got through.
    const all = forBinding(r, b.id, r.received).map((x) => `${x.event.type}:${x.answered}`);
    expect(all.slice(0, 3)).toEqual([
      'binding.created:503',
      'binding.created:503',
      'binding.created:204',
    ]);
  });

  it('makes first tries under one batch job per endpoint and pass, never a job per delivery', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created', 'binding.changed']);
    const b = await f.bind();
    await api('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 5000 });
    await until(
      async () => forBinding(r, b.id),
      (l) => l.length >= 2,
      'both events',
    );
    // A batch's deliveries are stored by its settlement, just after their tries: waited for.
    const rows = await until(
      async () =>
        (
          await sql.query<{ id: string; jobs: number; batches: number }>(
            `SELECT d.id,
                    (SELECT count(*)::int FROM pgboss.job j
                      WHERE j.name = 'webhook-deliveries'
                        AND j.data->>'deliveryId' = d.id::text) AS jobs,
                    (SELECT count(*)::int FROM pgboss.job j
                      WHERE j.name = 'webhook-deliveries'
                        AND j.singleton_key = d.endpoint_id || ':batch'
                        AND j.data->'batch' ? d.id::text) AS batches
               FROM webhook_deliveries d WHERE d.endpoint_id = $1`,
            [ep.id],
          )
        ).rows,
      (r) => r.length >= 2,
      'both deliveries stored',
    );
    expect(rows).toHaveLength(2);
    for (const d of rows) expect(d).toMatchObject({ jobs: 0, batches: 1 });
  });

  it('queues later events of a binding behind a failed first try until it gets through, then tries them in batches again', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created', 'binding.changed', 'binding.ended']);
    let down = true;
    // An hour's wait asked for: the binding.created delivery waits in pg-boss (its job in the
    // retry state) until the test moves that job's start to now.
    r.answer = () => (down ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 });
    const b = await f.bind();
    const [created] = await until(
      async () =>
        (
          await sql.query<{ id: string }>(
            `SELECT j.id FROM pgboss.job j JOIN webhook_deliveries d ON j.data->>'deliveryId' = d.id::text
              WHERE j.name = 'webhook-deliveries' AND j.state = 'retry' AND d.endpoint_id = $1`,
            [ep.id],
          )
        ).rows,
      (rows) => rows.length === 1,
      'binding.created waiting for its retry',
    );
    // Committed after the failed try: their batches find the binding's key held.
    await api('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 5000 });
    await api('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds: 6000 });
    const queued = async () =>
      (
        await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_queued_deliveries WHERE endpoint_id = $1`,
          [ep.id],
        )
      ).rows[0]!.n;
    await until(queued, (n) => n === 3, 'three deliveries waiting in pg-boss');
    expect(forBinding(r, b.id, r.received).map((x) => x.event.type)).toEqual(['binding.created']);
    down = false;
    await sql.query(`UPDATE pgboss.job SET start_after = now() WHERE id = $1`, [created!.id]);
    const got = await until(
      async () => forBinding(r, b.id),
      (l) => l.length >= 3,
      'three',
    );
    expect(got.map((x) => x.event.type)).toEqual([
      'binding.created',
      'binding.changed',
      'binding.changed',
    ]);
    await until(queued, (n) => n === 0, 'every key released');
    // The key released, the binding's next event is tried by its batch again.
    await api('DELETE', `/v1/bindings/${b.id}`);
    const [ended] = (
      await until(
        async () => forBinding(r, b.id),
        (l) => l.length >= 4,
        'binding.ended',
      )
    ).slice(3);
    expect(ended!.event.type).toBe('binding.ended');
    // Stored by its batch's settlement, just after its try.
    await until(
      async () =>
        (
          await sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM webhook_deliveries d
               JOIN webhook_events v ON v.id = d.event_id WHERE v.msg_id = $1 AND d.endpoint_id = $2`,
            [ended!.id, ep.id],
          )
        ).rows[0]!.n,
      (n) => n === 1,
      'binding.ended stored',
    );
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job j JOIN webhook_events v ON v.msg_id = $1
         JOIN webhook_deliveries d ON d.event_id = v.id
        WHERE j.name = 'webhook-deliveries' AND j.data->>'deliveryId' = d.id::text`,
      [ended!.id],
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created']);
    let n = 0;
    r.answer = () =>
      n++ === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    const b = await f.bind();
    await until(
      async () => forBinding(r, b.id),
      (l) => l.length === 1,
      'the delivery',
      {
        tries: 1000,
      },
    );
    const { rows } = await sql.query<{ at: Date; next: Date }>(
      `SELECT a.at, d.next_attempt_at AS next FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.endpoint_id = $1 AND a.status_code = 429`,
      [ep.id],
    );
    expect(rows).toHaveLength(1);
    const [first, second] = forBinding(r, b.id, r.received);
    // The second try came no sooner than the receiver asked (its own clock: seconds resolution).
    expect(Number(second!.timestamp) - Number(first!.timestamp)).toBeGreaterThanOrEqual(1);
  });

  it('disables an endpoint that answers 410 Gone; its delivery is dead', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created']);
    r.answer = () => ({ status: 410 });
    await f.bind();
    const got = await until(
      async () =>
        (
          await api<{ enabled: boolean; disabledReason: string }>(
            'GET',
            `/v1/webhooks/endpoints/${ep.id}`,
          )
        ).body,
      (e) => !e.enabled,
      'the endpoint disabled',
    );
    expect(got.disabledReason).toBe('gone');
    expect(r.received).toHaveLength(1);
    expect((await deliveries(ep.id))[0]).toMatchObject({ status: 'dead', lastStatusCode: 410 });
  });

  it('makes a delivery dead after the last try; a replay delivers it with the same id', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created']);
    let healthy = false;
    r.answer = () => (healthy ? { status: 200 } : { status: 500 });
    await f.bind();
    const [dead] = await until(
      () => deliveries(ep.id),
      (l) => l[0]?.status === 'dead',
      'a dead delivery',
    );
    expect(dead!.attempts).toBe(4); // at once, then the schedule's three retries
    expect(r.received.map((x) => x.id)).toEqual(Array(4).fill(dead!.msgId));
    const early = await api('POST', `/v1/webhooks/deliveries/${ep.id}/replay`);
    expect(early.status).toBe(404);
    healthy = true;
    expect((await api('POST', `/v1/webhooks/deliveries/${dead!.id}/replay`)).status).toBe(202);
    await until(
      () => deliveries(ep.id),
      (l) => l[0]?.status === 'succeeded',
      'the replay',
    );
    expect(r.delivered.map((x) => x.id)).toEqual([dead!.msgId]);
    const again = await api('POST', `/v1/webhooks/deliveries/${dead!.id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('WEBHOOK_DELIVERY_NOT_DEAD');
  });

  it('never lets a hanging receiver delay another endpoint', async () => {
    const stuck = await receiver();
    stuck.answer = () => 'hang';
    const fine = await receiver();
    await endpoint(stuck, ['binding.created']);
    await endpoint(fine, ['binding.created']);
    const bound: BindingView[] = [];
    for (let i = 0; i < 6; i += 1) bound.push(await f.bind());
    await until(
      async () => bound.filter((b) => forBinding(fine, b.id).length > 0).length,
      (n) => n === bound.length,
      'every event at the healthy endpoint',
    );
    expect(stuck.delivered).toHaveLength(0);
  });

  it('signs with both secrets during a rotation; sends a test event on request', async () => {
    const r = await receiver();
    const ep = await endpoint(r, ['binding.created']);
    const rotated = await api<WebhookEndpointWithSecretView>(
      'PATCH',
      `/v1/webhooks/endpoints/${ep.id}`,
      { rotateSecret: true },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect(rotated.body.previousSecretUntil).not.toBeNull();
    const test = await api<{ msgId: string }>('POST', `/v1/webhooks/endpoints/${ep.id}/test`);
    expect(test.status).toBe(202);
    const [got] = await until(
      async () => r.delivered,
      (l) => l.length === 1,
      'the test event',
    );
    expect(got!.event.type).toBe('webhook.test');
    expect(got!.id).toBe(test.body.msgId);
    expect(got!.signature.split(' ')).toHaveLength(2);
    WebhookReceiver.verify(got!, ep.secret);
    WebhookReceiver.verify(got!, rotated.body.secret);
  });
});
