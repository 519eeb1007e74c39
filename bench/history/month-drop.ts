import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** What dropping one month of the record took. */
export interface MonthDrop {
  month: string;
  /** Bindings the month held (the other tables' rows went with them). */
  bindings: number;
  /** From BEGIN to COMMIT: the detach of every table's partition and its drop. */
  ms: number;
}

/** The record's tables, bindings first (its detach fences binds of that month). */
const TABLES = [
  'bindings',
  'binding_events',
  'routed_counts',
  'binding_subscriptions',
  'call_records',
  'call_progress',
];

/** The oldest month partition of the record, with the bindings it holds; none when unpartitioned. */
export async function oldestMonth(
  url: string,
): Promise<{ month: string; bindings: number } | undefined> {
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  try {
    const exists = await sql.query(
      `SELECT to_regclass('history_month_partitions') IS NOT NULL AS p`,
    );
    if (!exists.rows[0].p) return undefined;
    const { rows } = await sql.query<{ month: string; name: string }>(
      `SELECT to_char(month, 'YYYY_MM') AS month, name FROM history_month_partitions
        WHERE parent = 'bindings' ORDER BY month LIMIT 1`,
    );
    if (!rows[0]) return undefined;
    const n = await sql.query(`SELECT count(*) AS n FROM "${rows[0].name}"`);
    return { month: rows[0].month, bindings: Number(n.rows[0].n) };
  } finally {
    await sql.end();
  }
}

/**
 * Drops one month of the record as the retention job does (src/history/, issue 22 item 1): in
 * one transaction with a lock_timeout, the bindings partition detached first, its months' open
 * orders checked (none may be live), then every other table's partition detached, and all
 * dropped. Timed from BEGIN to COMMIT.
 */
export async function dropMonth(url: string, month: string, bindings: number): Promise<MonthDrop> {
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  try {
    const started = performance.now();
    await sql.query('BEGIN');
    try {
      await sql.query(`SET LOCAL lock_timeout = '5s'`);
      await sql.query(`ALTER TABLE bindings DETACH PARTITION bindings_p${month}`);
      const open = await sql.query(
        `SELECT 1 FROM history_month_partitions p, history_range_open_orders(p.lo, p.hi, 1)
          WHERE p.parent = 'binding_events' AND p.name = $1`,
        [`binding_events_p${month}`],
      );
      if (open.rowCount) throw new Error(`month ${month} holds a live binding: not dropped`);
      for (const table of TABLES) {
        if (table !== 'bindings') {
          await sql.query(`ALTER TABLE ${table} DETACH PARTITION ${table}_p${month}`);
        }
        await sql.query(`DROP TABLE ${table}_p${month}`);
      }
      await sql.query('COMMIT');
    } catch (error) {
      await sql.query('ROLLBACK');
      throw error;
    }
    return { month, bindings, ms: performance.now() - started };
  } finally {
    await sql.end();
  }
}
