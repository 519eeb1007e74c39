import { CALLBACK_QUERY, HEALTH_PUSH_ON } from '../support/test-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { TestClock } from '../support/test-clock.js';
import { http } from '../support/test-app.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

const POOL = 'FCROUTECALLBACKS';
const ACK = { code: 0, msg: '接收成功' };
const clock = new TestClock();
let f: RoutingFixture;

type Delivery = { id: number; kind: string; state: string };
type NumberItem = { number: string; health: string };

beforeAll(async () => {
  // One city of three spare-able numbers: two bought, one spare to lend as a temporary X.
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    env: HEALTH_PUSH_ON,
    sim: { cities: ['杭州'], stockPerCity: 3 },
  });
  await f.sim.control('POST', '/callbacks', {
    callRecordUrl: `${f.t.url}/v1/callbacks/call-records${CALLBACK_QUERY}`,
    healthReportUrl: `${f.t.url}/v1/callbacks/number-health${CALLBACK_QUERY}`,
  });
});
afterAll(async () => {
  await f?.close();
});

const lookup = (id: string, callerNo: string) => f.lookup({ bindingId: id, callerNo });
const healthOf = async (number: string) => {
  const res = await http<{ items: NumberItem[] }>('GET', `${f.t.url}/v1/pools/${POOL}/numbers`);
  return res.body.items.find((n) => n.number === number)?.health;
};
const delivered = async (ids: number[]) => {
  const log = await f.sim.control<Delivery[]>('GET', '/deliveries');
  return ids.every((id) => log.find((d) => d.id === id)?.state === 'delivered');
};
/** Flips X at the simulator, which pushes the report to our endpoint; waits until it landed. */
const flip = async (number: string, status: 'normal' | 'abnormal') => {
  await f.sim.control('POST', `/numbers/${number}/health`, { status });
  await f.eventually(async () => (await healthOf(number)) === status, `${number} ${status}`);
};

describe('number-health reports flip X', () => {
  it('marks X abnormal from the provider push: the cache is dropped and the temporary X dialled', async () => {
    const b = await f.bind();
    expect((await lookup(b.id, b.phoneA)).body.source).toBe('provider');
    expect((await lookup(b.id, b.phoneA)).body.source).toBe('cache');

    await flip(b.phoneX!, 'abnormal');
    const res = await lookup(b.id, b.phoneA);
    expect(res.body).toMatchObject({ action: 'dial', status: 2, source: 'provider' });
    expect(res.body.dial).not.toBe(b.phoneX);
    expect(res.body.dial).not.toBe(b.phoneB);
    // A temporary X is not cached: the provider decides each time while X is abnormal.
    expect((await lookup(b.id, b.phoneA)).body).toMatchObject({ status: 2, source: 'provider' });

    await flip(b.phoneX!, 'normal');
    expect((await lookup(b.id, b.phoneA)).body).toMatchObject({
      dial: b.phoneX,
      status: 1,
      source: 'provider',
    });
  });

  it('status 3 when no temporary X is left: the other party’s real number', async () => {
    const [x1, x2] = f.numbers as [string, string];
    const b1 = await f.bind({ phoneX: x1 });
    const b2 = await f.bind({ phoneX: x2 });
    await flip(x1, 'abnormal');
    await flip(x2, 'abnormal');
    try {
      // x1 takes the only spare number; nothing is left for x2.
      expect((await lookup(b1.id, b1.phoneB)).body).toMatchObject({ status: 2 });
      expect((await lookup(b2.id, b2.phoneA)).body).toMatchObject({
        action: 'dial',
        dial: b2.phoneB,
        status: 3,
        source: 'provider',
        reason: 'x-abnormal',
      });
      expect((await lookup(b2.id, b2.phoneB)).body).toMatchObject({ dial: b2.phoneA, status: 3 });
    } finally {
      await flip(x1, 'normal');
      await flip(x2, 'normal');
    }
  });

  it('accepts reports posted directly, ignores stale and malformed ones, and always acknowledges', async () => {
    const x = f.numbers[0]!;
    const at = clock.now().getTime() + 60_000;
    const post = (body: unknown) => http('POST', `${f.t.url}/v1/callbacks/number-health`, body);
    expect((await post([{ secretNo: x, noStatus: 0, timestamp: at }])).body).toEqual(ACK);
    expect(await healthOf(x)).toBe('abnormal');
    // An older report delivered late (a retry) does not undo a newer one.
    await post([{ secretNo: x, noStatus: 1, timestamp: at - 1_000 }]);
    expect(await healthOf(x)).toBe('abnormal');
    const mixed = await post([
      { secretNo: 'x' },
      { noStatus: 1 },
      { secretNo: x, noStatus: '1', timestamp: at + 1 },
    ]);
    expect(mixed).toMatchObject({ status: 200, body: ACK });
    expect(await healthOf(x)).toBe('normal');
    expect((await post({ secretNo: x })).status).toBe(400);
  });
});

describe('call records', () => {
  it('stores a record delivered twice once, with one event, shown on the binding', async () => {
    const b = await f.bind({ record: true });
    const call = await f.sim.control<{
      records: Array<{ call_id: string }>;
      deliveryIds: number[];
    }>('POST', '/calls', { subsId: b.subsId, caller: 'B', durationSeconds: 42, duplicate: true });
    expect(call.deliveryIds).toHaveLength(2);
    await f.eventually(() => delivered(call.deliveryIds), 'both deliveries');

    const detail = await f.detail(b.id);
    expect(detail.calls).toHaveLength(1);
    expect(detail.calls[0]).toMatchObject({
      callId: call.records[0]!.call_id,
      direction: 'B-to-A',
      durationSeconds: 42,
      releaseCause: 16,
      recordUrl: expect.stringContaining(call.records[0]!.call_id),
    });
    const recorded = detail.events.filter((e) => e.kind === 'call_recorded');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor: 'provider',
      details: { callId: call.records[0]!.call_id, direction: 'B-to-A', durationSeconds: 42 },
    });
    expect(JSON.stringify(detail.events)).not.toContain(b.phoneA);

    const search = await http<{ items: Array<{ id: string; calls: number }> }>(
      'GET',
      `${f.t.url}/v1/bindings?outId=${b.outId}`,
    );
    expect(search.body.items).toEqual([expect.objectContaining({ id: b.id, calls: 1 })]);
  });

  it('links by out_id when sub_id is unknown, keeps unmatched records, skips unreadable ones', async () => {
    const b = await f.bind();
    const record = (callId: string, extra: Record<string, unknown>) => ({
      call_id: callId,
      pool_key: POOL,
      phone_no: b.phoneA,
      peer_no: b.phoneB,
      secret_no: b.phoneX,
      call_type: 0,
      call_time: '2026-11-22 12:00:00',
      start_time: '2026-11-22 12:00:07',
      release_time: '2026-11-22 12:01:07',
      release_dir: 1,
      release_cause: 16,
      record_url: '',
      ...extra,
    });
    const stamp = Date.now().toString(16);
    const res = await http('POST', `${f.t.url}/v1/callbacks/call-records`, [
      record(`by-out-${stamp}`, { sub_id: 999, out_id: b.outId }),
      record(`orphan-${stamp}`, { sub_id: 998, out_id: 'no-such-order' }),
      { sub_id: 1 },
      'garbage',
    ]);
    expect(res).toMatchObject({ status: 200, body: ACK });
    const detail = await f.detail(b.id);
    expect(detail.calls).toEqual([
      expect.objectContaining({
        callId: `by-out-${stamp}`,
        direction: 'A-to-B',
        durationSeconds: 60,
        callTime: '2026-11-22T04:00:00.000Z',
        recordUrl: null,
      }),
    ]);
    // Delivered again: nothing new.
    await http('POST', `${f.t.url}/v1/callbacks/call-records`, [
      record(`by-out-${stamp}`, { sub_id: 999, out_id: b.outId }),
    ]);
    expect((await f.detail(b.id)).events.filter((e) => e.kind === 'call_recorded')).toHaveLength(1);
  });
});

/** A call record's fields that come from its binding (A called B on X). */
const callOf = (b: BindingView) => ({
  bindingId: b.id,
  outId: b.outId,
  poolKey: POOL,
  phoneNo: b.phoneA,
  peerNo: b.phoneB,
  secretNo: b.phoneX,
  callType: 1,
});

describe('the call_records table and its Prisma model agree', () => {
  it('writes and reads back every field', async () => {
    const prisma = f.t.app.get(PrismaService);
    const b = await f.bind();
    const data = {
      ...callOf(b),
      callId: `model-${Date.now()}`,
      subId: '1000000000000009',
      callTime: new Date('2026-11-22T04:00:00.000Z'),
      startTime: new Date('2026-11-22T04:00:05.000Z'),
      releaseTime: new Date('2026-11-22T04:01:05.000Z'),
      releaseDir: 2,
      releaseCause: 17,
      recordUrl: 'https://example.invalid/r.mp3',
      receivedAt: new Date('2026-11-22T04:01:06.000Z'),
      raw: { call_id: 'x', nested: [1, 2] },
    };
    const created = await prisma.callRecord.create({ data });
    expect(created).toMatchObject(data);
    expect(await prisma.callRecord.findFirstOrThrow({ where: { callId: data.callId } })).toEqual(
      created,
    );
  });
});

describe('a search page counts each binding’s calls', () => {
  it('counts the calls of bindings that lie in different month partitions', async () => {
    // Each id is counted in its own month partition (bindings.repository.ts countCalls): a page
    // of one number spanning months must still give each binding its own count.
    const prisma = f.t.app.get(PrismaService);
    const phone = `137${String(process.pid % 100).padStart(2, '0')}009999`;
    const record = (b: BindingView, n: number) =>
      prisma.callRecord.create({
        data: {
          ...callOf(b),
          callId: `count-${b.id}-${n}`,
          subId: b.subsId,
          callTime: clock.now(),
          receivedAt: clock.now(),
          raw: {},
        },
      });
    const older = await f.bind({ phoneA: phone });
    await record(older, 1);
    await record(older, 2);
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${older.id}`)).status).toBe(200);
    clock.advance(35 * 86_400_000); // into next month's partition
    const newer = await f.bind({ phoneA: phone });
    await record(newer, 1);
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${newer.id}`)).status).toBe(200);
    const newest = await f.bind({ phoneB: phone });

    const partitions = await prisma.$queryRaw<Array<{ p: string }>>`
      SELECT tableoid::regclass::text AS p FROM bindings
       WHERE id IN (${older.id}::uuid, ${newer.id}::uuid) ORDER BY created_at`;
    expect(new Set(partitions.map((r) => r.p)).size).toBe(2);
    const search = await http<{ items: Array<{ id: string; calls: number }> }>(
      'GET',
      `${f.t.url}/v1/bindings?phone=${phone}&view=masked`,
    );
    expect(search.body.items.map((b) => [b.id, b.calls])).toEqual([
      [newest.id, 0],
      [newer.id, 1],
      [older.id, 2],
    ]);
  });
});
