import type pg from 'pg';
import { expect } from 'vitest';
import { http } from './test-app.js';
import { TEST_KEYS } from './test-keys.js';
import { until } from './until.js';
import type { WebhookReceiver } from './webhook-receiver.js';

let seq = 0;

/**
 * Binds `n` orders through the service at `url` (a number of `pool` first), each then changed
 * once: two events per binding (binding.created, binding.changed) whose order can be checked.
 */
export async function bindSomeWithChange(url: string, pool: string, n: number): Promise<string[]> {
  await http('POST', `${url}/v1/pools/${pool}/numbers`, { spec: 2, city: '杭州', count: 1 });
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    seq += 1;
    const k = String(seq).padStart(4, '0');
    const res = await http<{ id: string }>(
      'POST',
      `${url}/v1/bindings`,
      { outId: `hookfault-${seq}`, phoneA: `1381100${k}`, phoneB: `1391100${k}`, ttlSeconds: 600 },
      { authorization: `Bearer ${TEST_KEYS.order}` },
    );
    expect(res.status).toBe(201);
    ids.push(res.body.id);
    const changed = await http('PATCH', `${url}/v1/bindings/${res.body.id}`, { ttlSeconds: 900 });
    expect(changed.status).toBe(200);
  }
  return ids;
}

/**
 * Every committed event of these bindings delivered (2xx) at least once, each binding's in the
 * order they were committed, with no gap; a request seen twice is the same event (same
 * webhook-id, same body).
 */
export async function expectAllDelivered(
  sql: pg.Pool,
  r: WebhookReceiver,
  bindingIds: string[],
  { tries = 2000, everyMs = 25 } = {},
): Promise<void> {
  const { rows } = await sql.query<{ msg_id: string; binding_id: string }>(
    `SELECT msg_id, binding_id FROM webhook_events WHERE binding_id = ANY($1) ORDER BY id`,
    [bindingIds],
  );
  expect(rows.length).toBe(bindingIds.length * 2);
  await until(
    async () => new Set(r.delivered.map((x) => x.id)),
    (got) => rows.every((e) => got.has(e.msg_id)),
    'every committed event delivered',
    { tries, everyMs },
  );
  for (const id of bindingIds) {
    const committed = rows.filter((e) => e.binding_id === id).map((e) => e.msg_id);
    const firstDelivered = [
      ...new Set(r.delivered.filter((x) => x.event.data.bindingId === id).map((x) => x.id)),
    ];
    expect(firstDelivered, `order of binding ${id}`).toEqual(committed);
  }
  const bodies = new Map<string, string>();
  for (const x of r.received) {
    if (bodies.has(x.id)) expect(x.body).toBe(bodies.get(x.id));
    bodies.set(x.id, x.body);
  }
}
