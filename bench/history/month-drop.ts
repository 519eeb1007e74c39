import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { dropHistoryMonth, type HistoryMonth } from '../../src/history/history-month-drop.js';

/** What dropping one month of the record took. */
export interface MonthDrop {
  month: string;
  /** Bindings the month held (the other tables' rows went with them). */
  bindings: number;
  /** From the first step to the last: every table's partition detached and dropped. */
  ms: number;
  /** The longest a detach held its parent's lock (binds waited meanwhile). */
  longestLockMs: number;
  /** Detaches that did not have the lock in time and tried again. */
  lockRetries: number;
}

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
 * Drops one month of the record by the retention job's own code (src/history/history-month-drop.ts):
 * the bindings partition detached first under a check that none is live, every other table's
 * partition detached, each in its own short transaction with a lock_timeout and retries, then
 * the detached tables dropped. Timed from the first step to the last.
 */
export async function dropMonth(url: string, month: string, bindings: number): Promise<MonthDrop> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    const { rows } = await client.query<HistoryMonth>(
      `SELECT replace($1, '_', '-') AS month, lo::text, hi::text FROM history_month_partitions
        WHERE parent = 'bindings' AND name = 'bindings_p' || $1`,
      [month],
    );
    if (!rows[0]) throw new Error(`no month ${month}`);
    const started = performance.now();
    const outcome = await dropHistoryMonth(client, rows[0], new Date(), new Date());
    const ms = performance.now() - started;
    if (outcome.kind !== 'dropped') {
      throw new Error(`month ${month} not dropped: ${JSON.stringify(outcome)}`);
    }
    return {
      month,
      bindings,
      ms,
      longestLockMs: outcome.longestLockMs,
      lockRetries: outcome.lockRetries,
    };
  } finally {
    client.release();
    await pool.end();
  }
}
