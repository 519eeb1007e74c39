/**
 * The bind path's SQL alone, serially on one connection: what Postgres spends per bind (backend
 * CPU from /proc, wall per statement) for the service's placement + settle vs the bare bind's
 * insert + update. No HTTP, no provider: a tool to see where the database's share of a bind goes.
 *
 *   npm run build && BINDS=2000 BATCH=1 node dist/bench/bind/sql-path.js
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createBenchDatabase } from '../support/bench-database.js';
import { intSetting } from '../support/settings.js';
import { BARE_TABLE } from './bare-bind.module.js';
import { BOUND_SQL } from '../../src/bindings/placement.repository.js';
import { cpuMsOf } from '../support/cpu-meter.js';

const BINDS = intSetting('BINDS', 2000, 10, 100_000);
const BATCH = intSetting('BATCH', 1, 1, 64);
const ROUNDS = intSetting('ROUNDS', 3, 1, 10);
const POOL = 'FCSQLPATH';

const phone = (p: string, n: number) => `${p}${String(n).padStart(8, '0')}`;

/** One item of place_bindings()'s batch: a new order whose parties no other item has. */
function placement(i: number, outId: string, seq: number): Record<string, unknown> {
  return {
    i,
    outId,
    record: false,
    expiresAt: new Date(Date.now() + 3_600_000),
    actor: 'bench',
    details: { requestId: `r-${seq}` },
    pool: POOL,
    a: phone('137', seq),
    b: phone('139', seq),
    city: null,
    cityStrict: false,
    pinned: null,
    exclude: [],
    maxPairs: 200,
    callControl: {},
    owner: 'order',
    seesAll: false,
  };
}

/** place_bindings() for a batch, as a batch runs it (never waiting); the rows it placed. */
async function place(sql: pg.Client, items: unknown[]): Promise<Array<{ id: string }>> {
  const { rows } = await sql.query<{ id: string }>({
    name: 'place',
    text: 'SELECT * FROM place_bindings($1::jsonb, $2, $3)',
    values: [JSON.stringify(items), new Date(), false],
  });
  return rows;
}

/** The settle of placed bindings, as BindAxb's answers would have it. */
async function settle(sql: pg.Client, rows: Array<{ id: string }>): Promise<void> {
  await sql.query({
    name: 'bound',
    text: BOUND_SQL,
    values: [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          subs: `s-${r.id}`,
          actor: 'bench',
          details: { subsId: 'x' },
        })),
      ),
      new Date(),
    ],
  });
}

const backendMs = (pid: number) => cpuMsOf(`/proc/${pid}/stat`);

async function main(): Promise<void> {
  const db = await createBenchDatabase('sqlpath');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    await sql.query(BARE_TABLE);
    await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
    await sql.query(
      `INSERT INTO secret_numbers (pool_key, number, spec, city)
       SELECT $1, '170' || lpad(g::text, 8, '0'), 2, '杭州' FROM generate_series(1, 20) g`,
      [POOL],
    );
    for (const t of (process.env.DISABLE ?? '').split(',').filter(Boolean)) {
      const [table, trigger] = t.split('.');
      await sql.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
    }
    await sql.query(`SET track_functions = 'all'`);
    await sql.query(`SET jit = off`);
    const pid = (await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    if (process.env.PAUSE_MS) {
      console.log(`backend pid ${pid}`);
      await new Promise((r) => setTimeout(r, Number(process.env.PAUSE_MS)));
    }
    let seq = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      // service
      await sql.query(`TRUNCATE live_pairs, reconcile_queue, x_load_hints`);
      await sql.query(`SELECT pg_stat_reset()`);
      let placeMs = 0;
      let settleMs = 0;
      // (sampled at the clock's 10 ms ticks: unbiased over many calls)
      let placeCpu = 0;
      let settleCpu = 0;
      const cpu0 = await backendMs(pid);
      for (let i = 0; i < BINDS; i += BATCH) {
        const items = Array.from({ length: BATCH }, (_, j) => {
          seq += 1;
          return placement(j, `o-${seq}`, seq);
        });
        let t = performance.now();
        const c0 = await backendMs(pid);
        const rows = await place(sql, items);
        const c1 = await backendMs(pid);
        placeMs += performance.now() - t;
        t = performance.now();
        await settle(sql, rows);
        settleCpu += (await backendMs(pid)) - c1;
        placeCpu += c1 - c0;
        settleMs += performance.now() - t;
      }
      const cpu1 = await backendMs(pid);
      // This session's function statistics reach pg_stat_user_functions only when flushed.
      await sql.query('SELECT pg_stat_force_next_flush()');
      const fns = await sql.query(
        `SELECT funcname, calls, round(self_time::numeric / $1, 3) AS self_ms_per_bind,
                round(total_time::numeric / $1, 3) AS total_ms_per_bind
           FROM pg_stat_user_functions ORDER BY total_time DESC LIMIT 12`,
        [BINDS],
      );
      // bare
      const b0 = await backendMs(pid);
      let bare = 0;
      for (let i = 0; i < BINDS; i += 1) {
        const id = crypto.randomUUID();
        const t = performance.now();
        await sql.query({
          name: 'bi',
          text: 'INSERT INTO bench_bare_binds (id) VALUES ($1)',
          values: [id],
        });
        await sql.query({
          name: 'bu',
          text: 'UPDATE bench_bare_binds SET subs_id = $2 WHERE id = $1',
          values: [id, 's'],
        });
        bare += performance.now() - t;
      }
      const b1 = await backendMs(pid);
      console.log(
        `round ${round} batch ${BATCH}: service wall/bind place ${(placeMs / BINDS).toFixed(3)} ms ` +
          `settle ${(settleMs / BINDS).toFixed(3)} ms; backend cpu/bind ${((cpu1 - cpu0) / BINDS).toFixed(3)} ms ` +
          `(place ${(placeCpu / BINDS).toFixed(3)}, settle ${(settleCpu / BINDS).toFixed(3)}) | ` +
          `bare wall/bind ${(bare / BINDS).toFixed(3)} ms cpu/bind ${((b1 - b0) / BINDS).toFixed(3)} ms`,
      );
      if (round === ROUNDS) console.table(fns.rows);
    }
    if (process.env.AUTOEXPLAIN) {
      const seen = new Map<string, { n: number; ms: number }>();
      sql.on('notice', (m) => {
        const text = m.message ?? '';
        const d = /duration: ([0-9.]+) ms/.exec(text);
        const q =
          /Query Text: ([\s\S]*?)\n(?:[A-Z][a-z]| {2}->|Insert|Update|Delete|Result|Function|Nested|Hash|Seq|Index|Limit|Sort|Aggregate|ProjectSet|LockRows|CTE|Subquery|Append|Merge|Custom|Bitmap|Unique|WindowAgg|Group)/.exec(
            text,
          );
        if (!d) return;
        const key = (q?.[1] ?? text.slice(0, 200)).replace(/\s+/g, ' ').slice(0, 160);
        const e = seen.get(key) ?? { n: 0, ms: 0 };
        e.n += 1;
        e.ms += Number(d[1]);
        seen.set(key, e);
      });
      await sql.query(`LOAD 'auto_explain'`);
      await sql.query(`SET auto_explain.log_min_duration = 0`);
      await sql.query(`SET auto_explain.log_nested_statements = on`);
      await sql.query(`SET auto_explain.log_level = notice`);
      await sql.query(`SET client_min_messages = notice`);
      const N = 200;
      for (let i = 0; i < N; i += 1) {
        const items = Array.from({ length: BATCH }, (_, j) => {
          seq += 1;
          return placement(j, `ae-${seq}`, seq);
        });
        await settle(sql, await place(sql, items));
      }
      await sql.query(`SET auto_explain.log_min_duration = -1`);
      const list = [...seen.entries()].sort((a, b) => b[1].ms - a[1].ms);
      for (const [k, v] of list)
        console.log(
          `${(v.ms / N / BATCH).toFixed(3)} ms/bind  ${String(v.n / N).padStart(4)}x  ${k}`,
        );
    }
  } finally {
    await sql.end();
    await db.drop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
