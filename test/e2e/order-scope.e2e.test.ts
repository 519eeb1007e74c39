import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

/**
 * Order keys are scoped (issue 27, requirement 3): a binding belongs to the caller group that
 * made it. Another group's order key gets, for PATCH, DELETE and end-trip, the very 404 an unknown
 * id gets, and binding its order a 409 that says only "taken" whatever parties it guesses; the
 * same group's replay is idempotent as before; an admin key acts on any binding. Every answer
 * with A and B in full is in access_log. Keys (test-keys.ts): `order` and `orderTwin` are one
 * group, `rivalOrder` another; the all-roles key (admin) is in `order`'s group.
 */
const POOL = 'FCORDERSCOPE';
let sim: TestSimulator;
let t: TestApp;

type Answer = BindingView & {
  code?: string;
  message?: string;
  requestId?: string;
  details?: Record<string, unknown>;
};

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(sim.env);
  const bought = await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
    spec: 2,
    city: '杭州',
    count: 3,
  });
  expect(bought.status).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

let seq = 0;
const parties = () => {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  return { phoneA: `1380027${n}`, phoneB: `1390027${n}` };
};
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const bind = (key: string, body: Record<string, unknown>) =>
  http<Answer>('POST', `${t.url}/v1/bindings`, { ttlSeconds: 3600, ...body }, as(key));
const patch = (key: string, id: string) =>
  http<Answer>('PATCH', `${t.url}/v1/bindings/${id}`, { ttlSeconds: 7200 }, as(key));
const unbind = (key: string, id: string) =>
  http<Answer>('DELETE', `${t.url}/v1/bindings/${id}`, undefined, as(key));
const endTrip = (key: string, id: string) =>
  http<Answer>(
    'POST',
    `${t.url}/v1/bindings/${id}/end-trip`,
    { contactWindowSeconds: 300 },
    as(key),
  );
const accessRows = (id: string) =>
  t.app
    .get(PrismaService)
    .$queryRawUnsafe<Array<{ actor: string; route: string; request_id: string }>>(
      'SELECT actor, route, request_id FROM access_log WHERE $1::uuid = ANY(binding_ids) ORDER BY id',
      id,
    );
/** An answer as another caller could compare it: without its request id and the id it sent. */
const comparable = (res: { status: number; body: Answer }, id?: string) =>
  JSON.parse(
    JSON.stringify({ status: res.status, ...res.body, requestId: undefined }).replaceAll(
      id ?? '\u0000',
      '<id>',
    ),
  ) as unknown;

describe('another caller group', () => {
  it('gets for PATCH, DELETE and end-trip exactly the 404 of an unknown id, and changes nothing', async () => {
    const made = await bind(TEST_KEYS.order, { outId: `scope-${randomUUID()}`, ...parties() });
    expect(made.status).toBe(201);
    const id = made.body.id;
    const unknown = randomUUID();
    for (const call of [patch, unbind, endTrip]) {
      const refused = await call(TEST_KEYS.rivalOrder, id);
      const none = await call(TEST_KEYS.rivalOrder, unknown);
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('NOT_FOUND');
      expect(comparable(refused, id)).toEqual(comparable(none, unknown));
      expect(JSON.stringify(refused.body)).not.toContain(made.body.phoneA);
    }
    // Nothing changed, nothing recorded for the refused caller.
    const now = await http<Answer>('GET', `${t.url}/v1/bindings/${id}`);
    expect(now.body).toMatchObject({ state: 'active', expiresAt: made.body.expiresAt });
    expect(now.body.tripEndedAt ?? null).toBeNull();
    expect((await accessRows(id)).map((r) => r.actor)).not.toContain('rival-orders');
  });

  it('binding a taken order learns only that it is taken, whatever parties it guesses', async () => {
    const outId = `scope-${randomUUID()}`;
    const own = parties();
    const made = await bind(TEST_KEYS.order, { outId, ...own });
    expect(made.status).toBe(201);
    const guesses = [
      own, // right A and B
      { phoneA: own.phoneA, phoneB: parties().phoneB }, // right A only
      { phoneA: parties().phoneA, phoneB: own.phoneB }, // right B only
      parties(), // both wrong
    ];
    const answers = [];
    for (const guess of guesses)
      answers.push(await bind(TEST_KEYS.rivalOrder, { outId, ...guess }));
    for (const res of answers) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'OUT_ID_CONFLICT', details: { outId } });
      expect(JSON.stringify(res.body)).not.toContain(made.body.id);
      expect(res.body.details).not.toHaveProperty('bindingId');
      expect(res.body.details).not.toHaveProperty('fields');
    }
    const bodies = answers.map((r) => comparable(r));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it('never shares another group bind in flight: one order bound by two groups at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const outId = `scope-race-${randomUUID()}`;
      const pair = parties();
      const [a, b] = await Promise.all([
        bind(TEST_KEYS.order, { outId, ...pair }),
        bind(TEST_KEYS.rivalOrder, { outId, ...pair }),
      ]);
      const statuses = [a.status, b.status].sort();
      expect(statuses).toEqual([201, 409]);
      const loser = a.status === 409 ? a : b;
      const winner = a.status === 201 ? a : b;
      expect(loser.body).toMatchObject({ code: 'OUT_ID_CONFLICT' });
      expect(JSON.stringify(loser.body)).not.toContain(winner.body.id);
    }
  });

  it('is not the owner of bindings it makes either: the first group gets 404 for those', async () => {
    const made = await bind(TEST_KEYS.rivalOrder, { outId: `scope-${randomUUID()}`, ...parties() });
    expect(made.status).toBe(201);
    expect((await patch(TEST_KEYS.order, made.body.id)).status).toBe(404);
    expect((await patch(TEST_KEYS.orderTwin, made.body.id)).status).toBe(404);
    const own = await patch(TEST_KEYS.rivalOrder, made.body.id);
    expect(own.status).toBe(200);
  });
});

describe('the same caller group', () => {
  it('replays idempotently from any key of the group, and keeps naming the differing field', async () => {
    const outId = `scope-${randomUUID()}`;
    const own = parties();
    const made = await bind(TEST_KEYS.order, { outId, ...own });
    expect(made.status).toBe(201);
    const replay = await bind(TEST_KEYS.orderTwin, { outId, ...own });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(made.body.id);
    const other = await bind(TEST_KEYS.order, { outId, ...own, phoneB: parties().phoneB });
    expect(other.status).toBe(409);
    expect(other.body.details).toMatchObject({
      outId,
      fields: ['phoneB'],
      bindingId: made.body.id,
    });
  });

  it('changes, ends the trip of and unbinds its bindings; each answer is recorded in access_log', async () => {
    const made = await bind(TEST_KEYS.order, { outId: `scope-${randomUUID()}`, ...parties() });
    const id = made.body.id;
    const changed = await patch(TEST_KEYS.orderTwin, id);
    expect(changed.status).toBe(200);
    expect(changed.body.phoneA).toBe(made.body.phoneA);
    const ended = await endTrip(TEST_KEYS.order, id);
    expect(ended.status).toBe(200);
    const unbound = await unbind(TEST_KEYS.orderTwin, id);
    expect(unbound.status).toBe(200);
    expect(unbound.body.state).toBe('unbound');
    // An ended binding is still answered in full to its group (and recorded again).
    expect((await unbind(TEST_KEYS.order, id)).status).toBe(200);
    const rows = await accessRows(id);
    expect(rows.map((r) => [r.actor, r.route])).toEqual([
      ['order-service-2', 'PATCH /v1/bindings/:id'],
      ['order-service', 'POST /v1/bindings/:id/end-trip'],
      ['order-service-2', 'DELETE /v1/bindings/:id'],
      ['order-service', 'DELETE /v1/bindings/:id'],
    ]);
    expect(rows[0]!.request_id).toBe(changed.headers.get('x-request-id'));
  });

  it('records an end of trip with no window (the unbind) under end-trip', async () => {
    const made = await bind(TEST_KEYS.order, { outId: `scope-${randomUUID()}`, ...parties() });
    const res = await http<Answer>(
      'POST',
      `${t.url}/v1/bindings/${made.body.id}/end-trip`,
      { contactWindowSeconds: 0 },
      as(TEST_KEYS.order),
    );
    expect(res.status).toBe(200);
    expect((await accessRows(made.body.id)).map((r) => r.route)).toEqual([
      'POST /v1/bindings/:id/end-trip',
    ]);
  });
});

describe('an admin key', () => {
  it("acts on any group's binding, and replays any group's order", async () => {
    const outId = `scope-${randomUUID()}`;
    const pair = parties();
    const made = await bind(TEST_KEYS.rivalOrder, { outId, ...pair });
    expect(made.status).toBe(201);
    // The all-roles key holds admin (and order): full access, outside its own group too.
    const replay = await bind(TEST_KEYS.all, { outId, ...pair });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(made.body.id);
    expect((await patch(TEST_KEYS.all, made.body.id)).status).toBe(200);
    expect((await unbind(TEST_KEYS.all, made.body.id)).status).toBe(200);
    expect((await accessRows(made.body.id)).map((r) => r.actor)).toEqual(['tester', 'tester']);
  });

  it('is the only one for a binding with no recorded owner (made before owners were kept)', async () => {
    const made = await bind(TEST_KEYS.order, { outId: `scope-${randomUUID()}`, ...parties() });
    await t.app
      .get(PrismaService)
      .$executeRawUnsafe('UPDATE bindings SET owner = NULL WHERE id = $1::uuid', made.body.id);
    expect((await patch(TEST_KEYS.order, made.body.id)).status).toBe(404);
    expect((await patch(TEST_KEYS.all, made.body.id)).status).toBe(200);
  });
});
