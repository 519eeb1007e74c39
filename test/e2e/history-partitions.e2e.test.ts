import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startHistoryApp, type HistoryApp } from '../support/history-app.js';
import { TestClock } from '../support/test-clock.js';
import { http, type TestApp } from '../support/test-app.js';

const POOL = 'FCHISTORYPARTS';
const DAY = 86_400_000;
let history: HistoryApp;
let sql: pg.Client;
const clock = new TestClock();
let app: TestApp;

beforeAll(async () => {
  history = await startHistoryApp(POOL, clock);
  ({ sql, app } = history);
  await http('POST', `${app.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 2 });
});
afterAll(async () => {
  await history?.close();
});

let seq = 0;
const bind = (ttlSeconds = 3600) => {
  seq += 1;
  return http<BindingView>('POST', `${app.url}/v1/bindings`, {
    poolKey: POOL,
    outId: `hist-${seq}`,
    phoneA: `1380002${String(seq).padStart(4, '0')}`,
    phoneB: `1390002${String(seq).padStart(4, '0')}`,
    ttlSeconds,
  });
};
const month = (d: Date, plus = 0) => {
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));
  return `${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
};
const whereIs = async (table: string, key: string, id: string) =>
  (
    await sql.query<{ part: string }>(
      `SELECT tableoid::regclass::text AS part FROM ${table} WHERE ${key} = $1 LIMIT 1`,
      [id],
    )
  ).rows[0]?.part;
const partitionsOf = async (parent: string) =>
  (
    await sql.query<{ name: string }>(
      `SELECT name FROM history_month_partitions WHERE parent = $1 ORDER BY name`,
      [parent],
    )
  ).rows.map((r) => r.name);
const runJob = () => history.runJob();

describe('the record in month partitions', () => {
  it('has the current month and two ahead for every table from the migration on', async () => {
    const t0 = clock.now();
    // Made when the definitions were applied (prisma/sql/090_history_partitions.sql).
    const first = await runJob();
    expect(first).toMatchObject({ created: 0, dropped: 0, outsidePartitions: 0 });
    for (const parent of ['bindings', 'binding_events', 'routed_counts', 'call_records']) {
      expect(await partitionsOf(parent)).toEqual(
        [0, 1, 2].map((m) => `${parent}_p${month(t0, m)}`),
      );
    }
  });

  it('puts a new binding and its events in the month it was made', async () => {
    const made = await bind();
    expect(made.status).toBe(201);
    // A UUIDv7: the version nibble, and the month partition holds it.
    expect(made.body.id[14]).toBe('7');
    expect(await whereIs('bindings', 'id', made.body.id)).toBe(`bindings_p${month(clock.now())}`);
    expect(await whereIs('binding_events', 'binding_id', made.body.id)).toBe(
      `binding_events_p${month(clock.now())}`,
    );
    const read = await http<BindingView>('GET', `${app.url}/v1/bindings/${made.body.id}`);
    expect(read.body.state).toBe('active');
  });

  it('never fails a write whose month has no partition: the default holds it until the job moves it', async () => {
    clock.advance(130 * DAY); // past the months made ahead
    const early = await bind();
    expect(early.status).toBe(201);
    expect(await whereIs('bindings', 'id', early.body.id)).toBe('bindings_default');
    const pass = await runJob();
    // The job made the months it lacked: that of now and two ahead, for the six tables.
    expect(pass).toMatchObject({ created: 18, outsidePartitions: 0 });
    // The binding and what followed it (events, SubsId).
    expect(pass.movedFromDefault).toBeGreaterThanOrEqual(3);
    expect(await whereIs('bindings', 'id', early.body.id)).toBe(`bindings_p${month(clock.now())}`);
    expect(await whereIs('binding_events', 'binding_id', early.body.id)).toBe(
      `binding_events_p${month(clock.now())}`,
    );
    // Unbound, so it does not keep its month alive in the next test.
    const gone = await http('DELETE', `${app.url}/v1/bindings/${early.body.id}`);
    expect(gone.status).toBeLessThan(300);
  });
});

describe('retention', () => {
  it('keeps a month past retention while one of its bindings is live, drops it whole once over', async () => {
    // Back to a fresh start: a live binding and an ended one in the same month.
    clock.advance(-130 * DAY);
    const live = await bind(7 * 86_400);
    const ended = await bind();
    expect(live.status).toBe(201);
    expect(ended.status).toBe(201);
    expect((await http('DELETE', `${app.url}/v1/bindings/${ended.body.id}`)).status).toBeLessThan(
      300,
    );
    const m0 = month(clock.now());

    // The month ends more than 30 days ago: old enough to go, but a binding in it is live.
    const liveSince = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM live_pairs WHERE binding_id = $1`,
      [live.body.id],
    );
    expect(liveSince.rows[0]!.n).toBe(1);
    clock.advance(75 * DAY);
    const kept = await runJob();
    expect(kept).toMatchObject({ keptLive: 1 });
    expect(await partitionsOf('bindings')).toContain(`bindings_p${m0}`);
    expect((await http('GET', `${app.url}/v1/bindings/${ended.body.id}`)).status).toBe(200);

    // Once they are over (this one, and the first test's, never swept), the month goes with
    // everything in it.
    await sql.query(
      `UPDATE bindings SET state = 'expired', ended_at = $1, updated_at = $1
        WHERE id IN (SELECT binding_id FROM live_pairs)`,
      [clock.now()],
    );
    const dropped = await runJob();
    expect(dropped).toMatchObject({ keptLive: 0 });
    expect(dropped.dropped).toBeGreaterThanOrEqual(6);
    expect(await partitionsOf('bindings')).not.toContain(`bindings_p${m0}`);
    expect(await partitionsOf('binding_events')).not.toContain(`binding_events_p${m0}`);
    expect((await http('GET', `${app.url}/v1/bindings/${ended.body.id}`)).status).toBe(404);
    const events = await sql.query(`SELECT 1 FROM binding_events WHERE binding_id = $1`, [
      ended.body.id,
    ]);
    expect(events.rowCount).toBe(0);
    const recorded = await sql.query<{ dropped_at: Date | null }>(
      `SELECT dropped_at FROM history_partitions WHERE name = $1`,
      [`bindings_p${m0}`],
    );
    expect(recorded.rows[0]?.dropped_at).not.toBeNull();
    // Binds go on meanwhile.
    expect((await bind()).status).toBe(201);
  });
});

describe('a month drop that cannot have a lock in time', () => {
  it('stops without failing a bind, and the next pass finishes it', async () => {
    // The oldest month left, made past retention (and the next one not yet).
    const oldest = (await partitionsOf('bindings'))[0]!;
    const target = oldest.slice('bindings_p'.length);
    const [y, m] = target.split('_').map(Number) as [number, number];
    clock.advance(Date.UTC(y, m, 1) + 31 * DAY - clock.now().getTime());
    // Its bindings are over (the last test's last bind was never swept).
    await sql.query(
      `UPDATE bindings SET state = 'expired', ended_at = $1, updated_at = $1
        WHERE id IN (SELECT binding_id FROM live_pairs)`,
      [clock.now()],
    );
    // Another session reads routed_counts and keeps its lock: the detach of that table waits
    // for it (lock_timeout), gives up, retries, and leaves the rest to the next pass.
    const reader = new pg.Client({ connectionString: history.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('LOCK TABLE routed_counts IN ACCESS SHARE MODE');
      const [deferred, during] = await Promise.all([runJob(), bind()]);
      expect(during.status).toBe(201);
      expect(deferred).toMatchObject({ dropDeferred: 1 });
      expect(await partitionsOf('bindings')).not.toContain(`bindings_p${target}`);
      expect(await partitionsOf('routed_counts')).toContain(`routed_counts_p${target}`);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    const finished = await runJob();
    expect(finished).toMatchObject({ dropDeferred: 0, dropped: 6 });
    for (const parent of ['bindings', 'binding_events', 'routed_counts', 'call_progress']) {
      expect(await partitionsOf(parent)).not.toContain(`${parent}_p${target}`);
      const table = await sql.query(`SELECT to_regclass($1) AS t`, [`${parent}_p${target}`]);
      expect(table.rows[0].t).toBeNull();
    }
    const recorded = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM history_partitions WHERE name LIKE $1 AND dropped_at IS NOT NULL`,
      [`%_p${target}`],
    );
    expect(recorded.rows[0]!.n).toBe(6);
  });
});
