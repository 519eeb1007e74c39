import { createHmac } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrivacyAgingJob } from '../../src/scheduler/privacy-aging.job.js';
import { createDatabaseBefore } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 22 item 2 at scale: the keyed hashes are written with each binding, search by phone goes
 * through them, and aging rewrites no indexed column (each aged row a HOT update). Starts from a
 * database of the version before (bindings with real numbers and no hash, an erased one without
 * its hash), migrated: those are still found by phone, and the aging job hashes them.
 */
const HASHES_AT_BIND = '20261207060000_aging_hot_updates';
const POOL = 'FCAGINGHASHES';
const DAY = 86_400_000;
const SECRET = 'test-phone-hash-secret-aging-hashes-0123456789';
const hmac = (phone: string) => createHmac('sha256', SECRET).update(phone).digest();

let sim: TestSimulator;
let db: Awaited<ReturnType<typeof createDatabaseBefore>>;
let sql: pg.Client;
const clock = new TestClock();
let app: TestApp;
let noSecret: TestApp;

const OLD = 'c0ffee00-0000-4000-8000-0000000000a1';
const OLD_ERASED = 'c0ffee00-0000-4000-8000-0000000000a2';
const OLD_A = '13800062001';
const OLD_B = '13900062001';

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  db = await createDatabaseBefore(HASHES_AT_BIND);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  // Made by the version before: real numbers, no hash; and one whose A an erasure masked.
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at,
                           created_at, updated_at, ended_at, erased_at)
     VALUES ($1, $3, 'old-1', $4, $5, 'expired', now(), now(), now(), now(), NULL),
            ($2, $3, 'old-2', '138****2002', $5, 'expired', now(), now(), now(), now(), now())`,
    [OLD, OLD_ERASED, POOL, OLD_A, OLD_B],
  );
  await db.upgrade();
  const env = {
    ...sim.env,
    PHONE_MASK_AFTER_DAYS: '30',
    PHONE_HASH_SECRET: SECRET,
    PRIVACY_AGING_BATCH_SIZE: '2',
  };
  app = await startTestApp(env, { clock, databaseUrl: db.url });
  noSecret = await startTestApp({ ...env, PHONE_HASH_SECRET: '' }, { clock, databaseUrl: db.url });
  await http('POST', `${app.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 4 });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await noSecret?.close();
  await sql?.end();
  await db?.drop();
  await sim?.close();
});

let seq = 0;
const bind = async (on: TestApp, phoneA: string, phoneB: string) => {
  seq += 1;
  const made = await http<BindingView>('POST', `${on.url}/v1/bindings`, {
    poolKey: POOL,
    outId: `hashes-${seq}`,
    phoneA,
    phoneB,
    ttlSeconds: 3600,
  });
  expect(made.status).toBe(201);
  return made.body;
};
const unbind = async (b: BindingView) =>
  expect((await http('DELETE', `${app.url}/v1/bindings/${b.id}`)).status).toBe(200);
const search = async (phone: string) => {
  const found = await http<{ items: BindingView[] }>(
    'GET',
    `${app.url}/v1/bindings?phone=${phone}`,
  );
  expect(found.status).toBe(200);
  return found.body.items.map((b) => b.id).sort();
};
const hashes = async (id: string) =>
  (
    await sql.query<{ a: Buffer | null; b: Buffer | null; phone_a: string; aged: boolean }>(
      `SELECT phone_a_hash AS a, phone_b_hash AS b, phone_a, aged_at IS NOT NULL AS aged
         FROM bindings WHERE id = $1`,
      [id],
    )
  ).rows[0]!;

describe('keyed hashes written with the record', () => {
  it('leaves no column aging rewrites in any index of bindings or call records (HOT updates)', async () => {
    const { rows } = await sql.query<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname LIKE 'bindings%' OR t.relname LIKE 'call_records%'`,
    );
    expect(rows.length).toBeGreaterThan(10);
    const rewritten = /\b(phone_a|phone_b|aged_at|phone_no|peer_no|raw)\b/;
    expect(rows.filter((r) => rewritten.test(r.def)).map((r) => r.def)).toEqual([]);
  });

  it('stores the keyed hashes of A and B with each binding; without a secret none', async () => {
    const made = await bind(app, '13800062010', '13900062010');
    const row = await hashes(made.id);
    expect(row.a).toEqual(hmac('13800062010'));
    expect(row.b).toEqual(hmac('13900062010'));
    expect(await search('13800062010')).toEqual([made.id]);

    const unhashed = await bind(noSecret, '13800062011', '13900062011');
    expect(await hashes(unhashed.id)).toMatchObject({ a: null, b: null });
    // Found by the number itself meanwhile, then hashed by the job (which has a secret).
    expect(await search('13900062011')).toEqual([unhashed.id]);
    await app.app.get(PrivacyAgingJob).run();
    expect(await hashes(unhashed.id)).toMatchObject({
      a: hmac('13800062011'),
      b: hmac('13900062011'),
      aged: false,
    });
    expect(await search('13900062011')).toEqual([unhashed.id]);
    for (const b of [made, unhashed]) await unbind(b);
  });

  it('hashes a party changed on a live binding: found by the new number, not the old one', async () => {
    const made = await bind(app, '13800062030', '13900062030');
    const changed = await http('PATCH', `${app.url}/v1/bindings/${made.id}`, {
      phoneB: '13900062031',
    });
    expect(changed.status).toBe(200);
    expect((await hashes(made.id)).b).toEqual(hmac('13900062031'));
    expect(await search('13900062031')).toEqual([made.id]);
    expect(await search('13900062030')).toEqual([]);
    await unbind(made);
  });

  it('finds the bindings of the version before by phone, and hashes them (an erased number: no hash)', async () => {
    expect(await search(OLD_A)).toEqual([OLD]);
    expect(await search(OLD_B)).toEqual([OLD, OLD_ERASED].sort());
    // The migration gave the erased number its "no hash" already.
    expect((await hashes(OLD_ERASED)).a).toEqual(Buffer.alloc(0));
    await app.app.get(PrivacyAgingJob).run();
    expect(await hashes(OLD)).toMatchObject({ a: hmac(OLD_A), b: hmac(OLD_B), aged: false });
    expect(await hashes(OLD_ERASED)).toMatchObject({ a: Buffer.alloc(0), b: hmac(OLD_B) });
    expect(await search(OLD_A)).toEqual([OLD]);
    expect(await search(OLD_B)).toEqual([OLD, OLD_ERASED].sort());
    expect(await search('13800062002')).toEqual([]);
  });
});

describe('what aging walks instead of an index on aged_at', () => {
  it('ages a binding the cursor passed while it was live once it is due, and only then', async () => {
    const live = await bind(app, '13800062020', '13900062020');
    clock.advance(31 * DAY);
    // Everything made before is due but this one (live): the cursor passes it, it waits.
    await app.app.get(PrivacyAgingJob).run();
    expect((await hashes(live.id)).aged).toBe(false);
    const waiting = await sql.query(`SELECT 1 FROM aging_pending WHERE binding_id = $1`, [live.id]);
    expect(waiting.rowCount).toBe(1);
    expect((await hashes(OLD)).aged).toBe(true);

    await unbind(live);
    clock.advance(29 * DAY);
    expect(await app.app.get(PrivacyAgingJob).run()).toMatchObject({ bindings: 0 });
    expect((await hashes(live.id)).aged).toBe(false);
    clock.advance(2 * DAY);
    expect(await app.app.get(PrivacyAgingJob).run()).toMatchObject({ bindings: 1 });
    expect(await hashes(live.id)).toMatchObject({
      phone_a: '138****2020',
      a: hmac('13800062020'),
      aged: true,
    });
    expect(
      (await sql.query(`SELECT 1 FROM aging_pending WHERE binding_id = $1`, [live.id])).rowCount,
    ).toBe(0);
    expect(await search('13800062020')).toEqual([live.id]);
  });

  it('leaves a binding in a live state alone whatever its end says, until it ends again', async () => {
    const back = await bind(app, '13800062040', '13900062040');
    // Expired, then found still bound by reconciliation: live again, its old end kept.
    await sql.query(`UPDATE bindings SET ended_at = created_at WHERE id = $1`, [back.id]);
    clock.advance(31 * DAY);
    await app.app.get(PrivacyAgingJob).run();
    expect(await hashes(back.id)).toMatchObject({ phone_a: '13800062040', aged: false });
    const waiting = await sql.query(`SELECT 1 FROM aging_pending WHERE binding_id = $1`, [back.id]);
    expect(waiting.rowCount).toBe(1);

    await unbind(back);
    clock.advance(31 * DAY);
    await app.app.get(PrivacyAgingJob).run();
    expect(await hashes(back.id)).toMatchObject({ phone_a: '138****2040', aged: true });
  });
});
