import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrivacyAgingJob } from '../../src/scheduler/privacy-aging.job.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCPRIVACYAGING';
const DAY = 86_400_000;
const SECRET = 'test-phone-hash-secret-0123456789abcdef';
let sim: TestSimulator;
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
const clock = new TestClock();
let one: TestApp;
let two: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const env = {
    ...sim.env,
    PHONE_MASK_AFTER_DAYS: '30',
    PHONE_HASH_SECRET: SECRET,
    PRIVACY_AGING_BATCH_SIZE: '2',
  };
  one = await startTestApp(env, { clock, databaseUrl: db.url });
  two = await startTestApp(env, { clock, databaseUrl: db.url });
  await http('POST', `${one.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

const A1 = '13800031001';
const B1 = '13900031001';
const A2 = '13800031002';
const B2 = '13900031002';
let seq = 0;
const bind = async (phoneA: string, phoneB: string) => {
  seq += 1;
  const made = await http<BindingView>('POST', `${one.url}/v1/bindings`, {
    poolKey: POOL,
    outId: `privacy-${seq}`,
    phoneA,
    phoneB,
    ttlSeconds: 3600,
  });
  expect(made.status).toBe(201);
  return made.body;
};
/** A call record of the binding, as the provider reports it (numbers in the raw report too). */
const recordCall = (bindingId: string, callId: string, from: string, to: string) =>
  sql.query(
    `INSERT INTO call_records (call_id, binding_id, phone_no, peer_no, call_type, received_at, raw)
     VALUES ($1, $2, $3, $4, 0, $5, $6)`,
    [callId, bindingId, from, to, clock.now(), { call_id: callId, phone_no: from, peer_no: to }],
  );
/** Where a number still appears in full, anywhere in the record. */
const wherePhone = async (phone: string) =>
  (
    await sql.query<{ t: string }>(
      `SELECT 'bindings' AS t FROM bindings WHERE phone_a = $1 OR phone_b = $1
       UNION ALL SELECT 'call_records' FROM call_records
        WHERE phone_no = $1 OR peer_no = $1 OR raw::text LIKE '%' || $1 || '%'
       UNION ALL SELECT 'binding_events' FROM binding_events WHERE details::text LIKE '%' || $1 || '%'`,
      [phone],
    )
  ).rows.map((r) => r.t);
const search = (phone: string) =>
  http<{ items: BindingView[] }>('GET', `${one.url}/v1/bindings?phone=${phone}`);
const erase = (phone: unknown) =>
  http<{ code?: string; bindings?: number; calls?: number; details?: unknown }>(
    'POST',
    `${one.url}/v1/admin/erasures`,
    { phone },
  );

let aged: BindingView;
let other: BindingView;

describe('privacy aging', () => {
  it('replaces the numbers PHONE_MASK_AFTER_DAYS after the end, once across instances', async () => {
    aged = await bind(A1, B1);
    other = await bind('13800031003', '13900031003');
    await recordCall(aged.id, 'privacy-call-1', A1, B1);
    for (const b of [aged, other]) {
      expect((await http('DELETE', `${one.url}/v1/bindings/${b.id}`)).status).toBe(200);
    }

    clock.advance(29 * DAY);
    expect(await one.app.get(PrivacyAgingJob).run()).toMatchObject({ bindings: 0, calls: 0 });
    expect(await wherePhone(A1)).toEqual(['bindings', 'call_records']);

    clock.advance(2 * DAY);
    // Two instances at once, in batches of 2: each binding and call aged by exactly one.
    const [x, y] = await Promise.all([
      one.app.get(PrivacyAgingJob).run(),
      two.app.get(PrivacyAgingJob).run(),
    ]);
    expect(x.bindings! + y.bindings!).toBe(2);
    expect(x.calls! + y.calls!).toBe(1);
    expect(await wherePhone(A1)).toEqual([]);
    expect(await wherePhone(B1)).toEqual([]);
    const row = await sql.query<{ phone_a: string; hashed: boolean }>(
      `SELECT phone_a, phone_a_hash IS NOT NULL AND phone_b_hash IS NOT NULL AS hashed
         FROM bindings WHERE id = $1`,
      [aged.id],
    );
    expect(row.rows[0]).toEqual({ phone_a: '138****1001', hashed: true });
    expect(await one.app.get(PrivacyAgingJob).run()).toMatchObject({ bindings: 0, calls: 0 });
  });

  it('says plainly on a reveal that the numbers aged out, and a search by the full number still finds it', async () => {
    const read = await http<BindingView>('GET', `${one.url}/v1/bindings/${aged.id}`);
    expect(read.status).toBe(200);
    expect(read.body.phoneA).toBe('138****1001');
    expect(read.body.phonesAgedOut).toMatchObject({ code: 'PHONE_AGED_OUT' });
    for (const phone of [A1, B1]) {
      const found = await search(phone);
      expect(found.status).toBe(200);
      expect(found.body.items.map((b) => b.id)).toEqual([aged.id]);
    }
  });
});

describe('erasure on request', () => {
  it('refuses a number with a live binding, naming the order, and changes nothing', async () => {
    const live = await bind(A2, B2);
    const refused = await erase(A2);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PHONE_HAS_LIVE_BINDING');
    expect(JSON.stringify(refused.body)).toContain(live.outId);
    expect(JSON.stringify(refused.body)).not.toContain(A2);
    expect(await wherePhone(A2)).toEqual(['bindings']);
    expect((await http('DELETE', `${one.url}/v1/bindings/${live.id}`)).status).toBe(200);
  });

  it('rejects a malformed number naming the field', async () => {
    const bad = await erase('not-a-number');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('phone');
  });

  it('erases every ended record of a number, aged or not, hash included, recorded without it', async () => {
    const ended = await bind(A1, '13900031009');
    await recordCall(ended.id, 'privacy-call-2', '13900031009', A1);
    expect((await http('DELETE', `${one.url}/v1/bindings/${ended.id}`)).status).toBe(200);

    const done = await erase(A1);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ bindings: 2, calls: 2 });
    expect(await wherePhone(A1)).toEqual([]);
    expect((await search(A1)).body.items).toEqual([]);
    // The other party keeps its number (real until it ages) and its hash.
    expect(await wherePhone('13900031009')).toContain('bindings');
    expect((await search(B1)).body.items.map((b) => b.id)).toEqual([aged.id]);
    const read = await http<BindingView>('GET', `${one.url}/v1/bindings/${aged.id}`);
    expect(read.body.phonesAgedOut).toMatchObject({ code: 'PHONE_ERASED' });

    const log = await sql.query<{ search: Record<string, string>; binding_ids: string[] }>(
      `SELECT search, binding_ids FROM access_log WHERE route = 'POST /v1/admin/erasures'`,
    );
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]!.search).toMatchObject({ erasure: '138****1001' });
    expect(JSON.stringify(log.rows[0])).not.toContain(A1);
    expect([...log.rows[0]!.binding_ids].sort()).toEqual([aged.id, ended.id].sort());
  });
});
