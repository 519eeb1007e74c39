import { SchedulerRegistry } from '@nestjs/schedule';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { ExpirySweepJob } from '../../src/scheduler/expiry-sweep.job.js';
import { JobRunner } from '../../src/scheduler/job-runner.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCSCHEDEXPIRY';
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
  // Small batches, so two instances sweeping the same rows interleave over many statements.
  const env = { ...sim.env, SCHEDULER_EXPIRY_BATCH_SIZE: '50' };
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

let seq = 0;
const bind = (ttlSeconds: number) => {
  seq += 1;
  return http<BindingView>('POST', `${one.url}/v1/bindings`, {
    poolKey: POOL,
    outId: `exp-${seq}`,
    phoneA: `1380001${String(seq).padStart(4, '0')}`,
    phoneB: `1390001${String(seq).padStart(4, '0')}`,
    ttlSeconds,
  });
};
const eventsOf = async (id: string) =>
  (
    await sql.query<{ kind: string; actor: string; details: Record<string, unknown> }>(
      `SELECT kind, actor, details FROM binding_events WHERE binding_id = $1 ORDER BY id`,
      [id],
    )
  ).rows;

/** Live bindings straight into the table, as a crash-free history would leave them. */
async function seedLive(count: number, prefix: string, expiresAt: Date): Promise<void> {
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at, created_at, updated_at)
     SELECT gen_random_uuid(), $1, $2 || g, '137' || lpad(g::text, 8, '0'),
            '136' || lpad(g::text, 8, '0'), '170' || lpad(g::text, 8, '0'), 'S' || $2 || g, 'active',
            $3, $4, $4
       FROM generate_series(1, $5) g`,
    [POOL, prefix, expiresAt, clock.now(), count],
  );
}

describe('expiry sweep', () => {
  it('expires overdue bindings once, with one event each, and leaves fresh ones alone', async () => {
    const short = await bind(120);
    const long = await bind(3600);
    expect(short.status).toBe(201);
    expect(long.status).toBe(201);
    clock.advance(121_000);

    const counts = await one.app.get(ExpirySweepJob).run();
    expect(counts).toMatchObject({ expired: 1, active: 1 });

    const after = await http<BindingView>('GET', `${one.url}/v1/bindings/${short.body.id}`);
    expect(after.body.state).toBe('expired');
    // Ended at the service's notion of now (the test clock), not the database's.
    expect(Date.parse(after.body.endedAt!)).toBeGreaterThan(Date.now() + 100_000);
    const events = await eventsOf(short.body.id);
    expect(events.filter((e) => e.kind === 'expired')).toEqual([
      { kind: 'expired', actor: 'scheduler', details: { previousState: 'active' } },
    ]);
    expect(
      (await http<BindingView>('GET', `${one.url}/v1/bindings/${long.body.id}`)).body.state,
    ).toBe('active');
    expect((await eventsOf(long.body.id)).map((e) => e.kind)).not.toContain('expired');

    // A second pass finds nothing left to do.
    expect(await one.app.get(ExpirySweepJob).run()).toMatchObject({ expired: 0 });
  });

  it('expires each binding exactly once when two instances sweep the same database at once', async () => {
    const due = new Date(clock.now().getTime() + 60_000);
    await seedLive(1500, 'pair-', due);
    clock.advance(61_000);

    const [a, b] = await Promise.all([
      one.app.get(ExpirySweepJob).run(),
      two.app.get(ExpirySweepJob).run(),
    ]);
    // Together they did all of it (usually split between them, in interleaved batches of 50).
    expect(a.expired! + b.expired!).toBe(1500);

    const { rows } = await sql.query<{ n: number; wrong: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE c <> 1)::int AS wrong FROM (
         SELECT (SELECT count(*) FROM binding_events e
                  WHERE e.binding_id = b.id AND e.kind = 'expired') AS c
           FROM bindings b WHERE b.out_id LIKE 'pair-%') x`,
    );
    expect(rows[0]).toEqual({ n: 1500, wrong: 0 });
    const states = await sql.query<{ state: string; n: number }>(
      `SELECT state::text, count(*)::int AS n FROM bindings WHERE out_id LIKE 'pair-%' GROUP BY state`,
    );
    expect(states.rows).toEqual([{ state: 'expired', n: 1500 }]);
  });

  it('goes on past a due binding someone else holds, and ends it once it is free', async () => {
    const due = new Date(clock.now().getTime() + 60_000);
    await seedLive(120, 'held-', due);
    // The held one is due first, so it is in its stripe's first batch (of 50).
    await sql.query(
      `UPDATE bindings SET expires_at = expires_at - interval '1 second' WHERE out_id = 'held-1'`,
    );
    clock.advance(61_000);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM bindings WHERE out_id = 'held-1' FOR UPDATE`);
      // Every other due binding in one run: a batch one short is not the end of its stripe.
      expect(await one.app.get(ExpirySweepJob).run()).toMatchObject({ expired: 119 });
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect(await one.app.get(ExpirySweepJob).run()).toMatchObject({ expired: 1 });
    const { rows } = await sql.query<{ state: string; n: number }>(
      `SELECT state::text, count(*)::int AS n FROM bindings WHERE out_id LIKE 'held-%'
        GROUP BY state`,
    );
    expect(rows).toEqual([{ state: 'expired', n: 120 }]);
  });

  it('expires pending and unknown bindings too, recording the state they left', async () => {
    const at = new Date(clock.now().getTime() + 60_000);
    await seedLive(2, 'open-', at);
    await sql.query(
      `UPDATE bindings SET state = 'unknown', subs_id = NULL WHERE out_id = 'open-1';
       UPDATE bindings SET state = 'pending', subs_id = NULL WHERE out_id = 'open-2'`,
    );
    clock.advance(61_000);
    expect(await two.app.get(ExpirySweepJob).run()).toMatchObject({
      expired: 2,
      pending: 1,
      unknown: 1,
    });
    const { rows } = await sql.query<{ details: { previousState: string } }>(
      `SELECT e.details FROM binding_events e JOIN bindings b ON b.id = e.binding_id
        WHERE b.out_id LIKE 'open-%' AND e.kind = 'expired' ORDER BY b.out_id`,
    );
    expect(rows.map((r) => r.details.previousState)).toEqual(['unknown', 'pending']);
  });
});

describe('job runner', () => {
  it('never overlaps a job with itself within one instance', async () => {
    const runner = one.app.get(JobRunner);
    const job = one.app.get(ExpirySweepJob);
    const [first, second] = await Promise.all([runner.run(job), runner.run(job)]);
    expect(first.status).toBe('done');
    expect(second).toEqual({ job: 'expiry', status: 'skipped' });
  });

  it('survives a failing run: it is reported, and the next run works', async () => {
    const due = new Date(clock.now().getTime() + 60_000);
    await seedLive(3, 'fail-', due);
    clock.advance(61_000);
    // A real database failure: the events table is briefly unavailable.
    await sql.query(`ALTER TABLE binding_events RENAME TO binding_events_away`);
    let failed;
    try {
      failed = await http<{ code: string }>('POST', `${one.url}/v1/admin/jobs/expiry`);
    } finally {
      await sql.query(`ALTER TABLE binding_events_away RENAME TO binding_events`);
    }
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('JOB_FAILED');

    const next = await http<{ status: string; counts: Record<string, number> }>(
      'POST',
      `${one.url}/v1/admin/jobs/expiry`,
    );
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ status: 'done', counts: { expired: 3 }, idle: false });
  });

  it('404s an unknown job name', async () => {
    expect((await http('POST', `${one.url}/v1/admin/jobs/nope`)).status).toBe(404);
  });
});

describe('registration', () => {
  it('registers each enabled job on its interval, skips disabled ones, and stops on close', async () => {
    const app = await startTestApp(
      {
        ...sim.env,
        SCHEDULER_ENABLED: 'true',
        SCHEDULER_EXPIRY_INTERVAL_MS: '3600000',
        SCHEDULER_RECONCILE_INTERVAL_MS: '3600000',
        SCHEDULER_REPLENISH_INTERVAL_MS: '0',
        SCHEDULER_CONTACT_WINDOW_INTERVAL_MS: '3600000',
        SCHEDULER_HISTORY_INTERVAL_MS: '0',
        SCHEDULER_PRIVACY_AGING_INTERVAL_MS: '0',
        SCHEDULER_WEBHOOK_RETENTION_INTERVAL_MS: '0',
      },
      { clock, databaseUrl: db.url },
    );
    const registry = app.app.get(SchedulerRegistry);
    try {
      expect(registry.getIntervals().sort()).toEqual([
        'scheduler.contact-window',
        'scheduler.expiry',
        'scheduler.reconcile',
      ]);
    } finally {
      await app.close();
    }
    expect(registry.getIntervals()).toEqual([]);
  });

  it('registers nothing under NODE_ENV=test unless enabled', () => {
    expect(one.app.get(SchedulerRegistry).getIntervals()).toEqual([]);
  });
});
