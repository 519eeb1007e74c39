import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { withFailingCallInsert } from '../support/db-faults.js';
import { http } from '../support/test-app.js';
import { HEALTH_PUSH_ON } from '../support/test-keys.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Provider pushes at their edges (issue 12): each record is read and stored on its own; what
 * cannot be stored is dead-lettered with the reason, numbers masked, counted, and the push is
 * still acknowledged; health reports dated beyond the clock skew cannot pin X.
 */
const POOL = 'FCPUSHEDGES';
const ACK = { code: 0, msg: '接收成功' };
let f: RoutingFixture;
let prisma: PrismaService;
let seq = 0;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    env: HEALTH_PUSH_ON,
    sim: { cities: ['杭州'], stockPerCity: 4 },
  });
  prisma = f.t.app.get(PrismaService);
});
afterAll(async () => {
  await f?.close();
});

const now = () => formatProviderDate(new Date());
function record(extra: Record<string, unknown> = {}) {
  seq += 1;
  return {
    call_id: `edge-${Date.now().toString(36)}-${seq}`,
    pool_key: POOL,
    phone_no: '13800990001',
    peer_no: '13900990001',
    secret_no: '17100990001',
    call_type: 0,
    call_time: now(),
    start_time: now(),
    release_time: now(),
    release_cause: 16,
    ...extra,
  };
}
/** Posts raw JSON text, so a lone surrogate travels as the escape a provider would send. */
async function pushText(path: string, text: string) {
  const res = await fetch(`${f.t.url}/v1/callbacks/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${(await import('../support/test-keys.js')).TEST_KEYS.all}`,
      'x-callback-secret': (await import('../support/test-keys.js')).TEST_CALLBACK_SECRET,
    },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as unknown };
}
const stored = async (callIds: string[]) =>
  (await prisma.callRecord.findMany({ where: { callId: { in: callIds } } })).map((r) => r.callId);
const letters = (since: Date) =>
  prisma.deadLetter.findMany({ where: { receivedAt: { gte: since } }, orderBy: { id: 'asc' } });
async function deadLetterMetric(type: string): Promise<number> {
  const text = (await http<string>('GET', `${f.t.url}/metrics`)).body;
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        `axb_provider_reports_total{type="${type}",source="push",outcome="dead_letter"}`,
      ),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('a malformed record does not fail the push', () => {
  const classes: Array<[string, string, RegExp]> = [
    ['NUL', '{"call_id":"CALL","city":"a\\u0000b"}', /holds NUL/],
    ['lone surrogate', '{"call_id":"CALL","control_msg":"x\\ud800"}', /lone surrogate/],
    ['absurd call_time', '{"call_id":"CALL","call_time":"9999-12-31 23:59:59"}', /out of range/],
    [
      'absurd release_time',
      '{"call_id":"CALL","release_time":"1900-01-01 00:00:00"}',
      /out of range/,
    ],
    ['no call_id', '{"sub_id":1}', /call_id missing/],
    ['not an object', '"garbage"', /not an object/],
    ['NUL in a key', '{"call_id":"CALL","a\\u0000":1}', /key holds NUL/],
  ];

  it.each(classes)(
    '%s: the records around it are stored, it is dead-lettered with the reason, the push acknowledged',
    async (_name, badJson, reason) => {
      const since = new Date(Date.now() - 1);
      const before = await deadLetterMetric('SecretReport');
      const first = record();
      const last = record();
      const bad = badJson.replace('CALL', `bad-${seq}`);
      const res = await pushText(
        'call-records',
        `[${JSON.stringify(first)},${bad},${JSON.stringify(last)}]`,
      );
      expect(res).toEqual({ status: 200, body: ACK });
      expect((await stored([first.call_id, last.call_id])).sort()).toEqual(
        [first.call_id, last.call_id].sort(),
      );
      const dead = await letters(since);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ source: 'push', messageType: 'SecretReport', attempts: 1 });
      expect(dead[0]!.reason).toMatch(reason);
      expect(await deadLetterMetric('SecretReport')).toBe(before + 1);
    },
  );

  it('masks the numbers of a dead-lettered record', async () => {
    const since = new Date(Date.now() - 1);
    const bad = record({ city: 'x\u0000' });
    expect((await http('POST', `${f.t.url}/v1/callbacks/call-records`, [bad])).body).toEqual(ACK);
    const [letter] = await letters(since);
    expect(letter!.payload).toContain(bad.call_id);
    for (const number of [bad.phone_no, bad.peer_no, bad.secret_no]) {
      expect(letter!.payload).not.toContain(number);
    }
  });

  it('a database refusal of one record dead-letters that record only', async () => {
    const refused = record();
    // A real database fault for one call_id: data errors (class 22) refuse the record.
    await withFailingCallInsert(prisma, refused.call_id, '22023', async () => {
      const since = new Date(Date.now() - 1);
      const ok1 = record();
      const ok2 = record();
      const res = await http('POST', `${f.t.url}/v1/callbacks/call-records`, [ok1, refused, ok2]);
      expect(res).toMatchObject({ status: 200, body: ACK });
      expect((await stored([ok1.call_id, ok2.call_id, refused.call_id])).sort()).toEqual(
        [ok1.call_id, ok2.call_id].sort(),
      );
      const dead = await letters(since);
      expect(dead.map((d) => d.reason)).toEqual([
        expect.stringMatching(/database refused the record \(22023\)/),
      ]);
    });
  });

  it('a database failure that is not the data answers 503, and the redelivery stores it once', async () => {
    const r1 = record();
    // 57P03 (cannot connect now): the database is unavailable, a 503 the provider delivers again.
    await withFailingCallInsert(prisma, null, '57P03', async () => {
      const res = await http<{ code: string }>('POST', `${f.t.url}/v1/callbacks/call-records`, [
        r1,
      ]);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('2');
    });
    for (let i = 0; i < 2; i += 1) {
      expect((await http('POST', `${f.t.url}/v1/callbacks/call-records`, [r1])).body).toEqual(ACK);
    }
    expect(await stored([r1.call_id])).toEqual([r1.call_id]);
  });

  it('stores a 1,000-record push in full, each once, and a redelivery adds nothing', async () => {
    const b = await f.bind();
    const records = Array.from({ length: 1000 }, (_, i) =>
      record({ sub_id: Number(b.subsId), call_type: i % 2, out_id: b.outId }),
    );
    const res = await http('POST', `${f.t.url}/v1/callbacks/call-records`, records);
    expect(res).toMatchObject({ status: 200, body: ACK });
    await http('POST', `${f.t.url}/v1/callbacks/call-records`, records.slice(0, 10));
    expect(await prisma.callRecord.count({ where: { bindingId: b.id } })).toBe(1000);
    expect(
      await prisma.bindingEvent.count({ where: { bindingId: b.id, kind: 'call_recorded' } }),
    ).toBe(1000);
  });
});

describe('health reports cannot pin X', () => {
  const healthOf = async (number: string) => {
    const res = await http<{ items: Array<{ number: string; health: string }> }>(
      'GET',
      `${f.t.url}/v1/pools/${POOL}/numbers`,
    );
    return res.body.items.find((n) => n.number === number)?.health;
  };
  const post = (body: unknown) => http('POST', `${f.t.url}/v1/callbacks/number-health`, body);

  it.each([['9999-12-31 23:59:59'], [253402300799000], ['+275760-09-13T00:00:00Z']])(
    'a report dated %s counts as received now: a later report still applies',
    async (timestamp) => {
      const x = f.numbers[1]!;
      expect((await post([{ secretNo: x, noStatus: 0, timestamp }])).body).toEqual(ACK);
      expect(await healthOf(x)).toBe('abnormal');
      const later = Date.now();
      expect((await post([{ secretNo: x, noStatus: 1, timestamp: later }])).body).toEqual(ACK);
      expect(await healthOf(x)).toBe('normal');
    },
  );

  it('a report with corrupt text is dead-lettered and the push acknowledged', async () => {
    const since = new Date(Date.now() - 1);
    const res = await pushText(
      'number-health',
      `[{"secretNo":"${f.numbers[0]}","noStatus":0,"note":"\\ud800"}]`,
    );
    expect(res).toEqual({ status: 200, body: ACK });
    expect(await healthOf(f.numbers[0]!)).toBe('normal');
    const dead = await letters(since);
    expect(dead).toEqual([
      expect.objectContaining({ messageType: 'SecretExceptionPhoneReport', source: 'push' }),
    ]);
    expect(dead[0]!.payload).not.toContain(f.numbers[0]!);
  });
});
