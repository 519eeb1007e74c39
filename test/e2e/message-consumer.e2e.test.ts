import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { withFailingCallInsert } from '../support/db-faults.js';
import { http, startTestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type BindingDetail, type RoutingFixture } from './routing-fixture.js';

/**
 * The message consumer end to end: the simulator's MNS queues, the real service consuming them
 * into Postgres, over HTTP. Time is controlled with short visibility timeouts on the simulator's
 * queues and bounded polling.
 */
const POOL = 'FCMNSCONSUMER';
let f: RoutingFixture;
let prisma: PrismaService;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    sim: { cities: ['杭州'], stockPerCity: 3, mnsVisibilityTimeoutMs: 60_000 },
    env: { MNS_MAX_ATTEMPTS: '3', MNS_WAIT_SECONDS: '2' },
    mns: true,
  });
  prisma = f.t.app.get(PrismaService);
});
afterAll(async () => {
  await f?.close();
});

type Queue = { type: string; active: number; inactive: number };
const drained = () =>
  until(
    () => f.sim.control<Queue[]>('GET', '/mns/queues'),
    (queues) => queues.every((q) => q.active === 0 && q.inactive === 0),
    'every queue drained',
  );
const detailOf = (id: string, accept: (d: BindingDetail) => boolean, what: string) =>
  until(() => f.detail(id), accept, what);
const healthOf = async (number: string) => {
  const res = await http<{ items: Array<{ number: string; health: string }> }>(
    'GET',
    `${f.t.url}/v1/pools/${POOL}/numbers`,
  );
  return res.body.items.find((n) => n.number === number)?.health;
};
const metric = async (name: string, type: string) => {
  const text = (await http<string>('GET', `${f.t.url}/metrics`)).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{type="${type}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('number health through the queue', () => {
  it('marks X abnormal, and routing answers status 3 when QueryCallStatus is refused', async () => {
    const b = await f.bind();
    await f.sim.control('POST', '/private-actions', { queryCallStatus: 'refused' });
    try {
      await f.sim.control('POST', `/numbers/${b.phoneX}/health`, { status: 'abnormal' });
      await until(
        () => healthOf(b.phoneX!),
        (h) => h === 'abnormal',
        'X abnormal',
      );
      expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).body).toMatchObject({
        status: 3,
        dial: b.phoneB,
      });
      await f.sim.control('POST', `/numbers/${b.phoneX}/health`, { status: 'normal' });
      await until(
        () => healthOf(b.phoneX!),
        (h) => h === 'normal',
        'X normal again',
      );
    } finally {
      await f.sim.control('POST', '/private-actions', { queryCallStatus: 'allowed' });
    }
    await drained();
  });
});

describe('calls through the queues', () => {
  it('stores the record once (delivered twice), its progress and its recording', async () => {
    const b = await f.bind({ record: true });
    const call = await f.sim.control<{ records: Array<{ call_id: string }> }>('POST', '/calls', {
      subsId: b.subsId,
      caller: 'B',
      durationSeconds: 42,
      duplicate: true,
    });
    const callId = call.records[0]!.call_id;
    const detail = await detailOf(
      b.id,
      (d) =>
        d.calls.length === 1 &&
        d.calls[0]!.recordingReadyAt !== null &&
        d.events.filter((e) => e.kind === 'call_progress').length === 3,
      'call, recording and progress',
    );
    await drained();
    const settled = await f.detail(b.id);
    expect(settled.calls).toEqual([
      expect.objectContaining({
        callId,
        direction: 'B-to-A',
        durationSeconds: 42,
        city: '杭州',
        controlType: 'CONTINUE',
        recordingReadyAt: expect.any(String),
        ringRecordUrl: expect.stringContaining(callId),
      }),
    ]);
    expect(settled.events.filter((e) => e.kind === 'call_recorded')).toHaveLength(1);
    const stages = detail.events
      .filter((e) => e.kind === 'call_progress')
      .map((e) => e.details.stage)
      .sort();
    expect(stages).toEqual(['answered', 'ringing', 'started']);
    expect(await prisma.callRecord.count({ where: { callId } })).toBe(1);
  });

  it('links a record by a sub_id beyond 2^53, every digit kept', async () => {
    const b = await f.bind();
    // Alibaba's SubsIds can exceed 2^53; give this binding one (a double would round it).
    const big = '12345678901234567891';
    await prisma.binding.update({ where: { id: b.id }, data: { subsId: big } });
    await f.sim.control('POST', '/mns/queues/SecretReport/messages', {
      body: `{"call_id":"big-sub-1","sub_id":${big},"out_id":"not-this-order"}`,
    });
    await detailOf(b.id, (d) => d.calls.some((c) => c.callId === 'big-sub-1'), 'linked by sub_id');
    await drained();
  });

  it('an intercepted call is stored as such', async () => {
    const b = await f.bind();
    await f.sim.control('POST', '/calls', { subsId: b.subsId, caller: 'A', intercepted: true });
    const detail = await detailOf(b.id, (d) => d.calls.length === 1, 'intercepted call');
    expect(detail.calls[0]).toMatchObject({
      direction: 'intercepted',
      controlType: 'REJECT',
      durationSeconds: 0,
    });
    await drained();
  });
});

describe('messages that cannot be handled', () => {
  it('dead-letters an unreadable message at once and deletes it', async () => {
    const before = await metric('axb_mns_messages_dead_lettered_total', 'SecretReport');
    const { messageId: notJson } = await f.sim.control<{ messageId: string }>(
      'POST',
      '/mns/queues/SecretReport/messages',
      { body: 'this is not json' },
    );
    const { messageId: nul } = await f.sim.control<{ messageId: string }>(
      'POST',
      '/mns/queues/SecretReport/messages',
      { body: '{"call_id":"nul-1","city":"a\\u0000","peer_no":"13912345678"}' },
    );
    await drained();
    const letters = await prisma.deadLetter.findMany({
      where: { messageId: { in: [notJson, nul] } },
      orderBy: { id: 'asc' },
    });
    expect(letters.map((l) => [l.source, l.messageType, l.reason])).toEqual([
      ['queue', 'SecretReport', 'MessageBody is not JSON (nor base64 of JSON)'],
      ['queue', 'SecretReport', '$.city holds NUL'],
    ]);
    expect(letters[1]!.payload).not.toContain('13912345678');
    expect(await metric('axb_mns_messages_dead_lettered_total', 'SecretReport')).toBe(before + 2);
  });

  it('leaves a failing message for redelivery, then dead-letters it on the last attempt', async () => {
    await f.sim.control('POST', '/mns/queues/SecretReport', { visibilityTimeoutMs: 200 });
    try {
      await withFailingCallInsert(prisma, 'poison-1', '57P03', async () => {
        const failedBefore = await metric('axb_mns_messages_failed_total', 'SecretReport');
        const { messageId } = await f.sim.control<{ messageId: string }>(
          'POST',
          '/mns/queues/SecretReport/messages',
          { body: { call_id: 'poison-1' } },
        );
        const [letter] = await until(
          () => prisma.deadLetter.findMany({ where: { messageId } }),
          (rows) => rows.length === 1,
          'the poison message dead-lettered',
        );
        expect(letter).toMatchObject({ source: 'queue', attempts: 3 });
        expect(letter!.reason).toMatch(/^failed 3 deliveries: .*failing for the test/);
        await drained();
        expect(await metric('axb_mns_messages_failed_total', 'SecretReport')).toBe(
          failedBefore + 3,
        );
        expect(await prisma.callRecord.count({ where: { callId: 'poison-1' } })).toBe(0);
      });
    } finally {
      await f.sim.control('POST', '/mns/queues/SecretReport', { visibilityTimeoutMs: 60_000 });
    }
  });
});

describe('credentials and instances', () => {
  it('renews temporary credentials MNS refuses', async () => {
    await f.sim.control('POST', '/mns/tokens/expire');
    const b = await f.bind();
    await f.sim.control('POST', '/calls', { subsId: b.subsId, caller: 'A' });
    await detailOf(b.id, (d) => d.calls.length === 1, 'a call after the tokens expired');
    await drained();
  });

  it('two instances consume the same queues: each call stored once; shutdown ends the polls', async () => {
    const second = await startTestApp(
      { ...f.sim.env, ...f.sim.mnsEnv, MNS_WAIT_SECONDS: '30' },
      { databaseUrl: f.t.config.database.url },
    );
    let closed = false;
    try {
      const bindings = await Promise.all(Array.from({ length: 5 }, () => f.bind()));
      for (const b of bindings) {
        for (let i = 0; i < 4; i += 1) {
          await f.sim.control('POST', '/calls', { subsId: b.subsId, caller: i % 2 ? 'A' : 'B' });
        }
      }
      await drained();
      for (const b of bindings) {
        expect(await prisma.callRecord.count({ where: { bindingId: b.id } })).toBe(4);
        expect(
          await prisma.bindingEvent.count({ where: { bindingId: b.id, kind: 'call_recorded' } }),
        ).toBe(4);
      }
      // Its polls wait up to 30 s; closing aborts them instead of waiting them out.
      const started = Date.now();
      await second.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      if (!closed) await second.close();
    }
  });

  it('exposes received, handled, failed, dead-lettered and lag metrics by type', async () => {
    const text = (await http<string>('GET', `${f.t.url}/metrics`)).body;
    for (const name of [
      'axb_mns_messages_received_total{type="SecretReport"}',
      'axb_mns_messages_handled_total{type="SecretExceptionPhoneReport"}',
      'axb_mns_message_lag_seconds_count{type="SecretReport"}',
    ]) {
      expect(text).toContain(name);
    }
  });
});
