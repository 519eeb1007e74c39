import type pg from 'pg';

/** Updates of one table, and how many of them were HOT (no index entry written). */
export interface TableUpdates {
  table: string;
  updates: number;
  hot: number;
}

type Snapshot = Map<string, { upd: number; hot: number }>;

/**
 * The statistics of every table of the database, made current: backends flush their pending
 * counts at the end of a transaction at most once a second, so each connection of `pools` first
 * asks for the next flush and ends a transaction (pg_stat_force_next_flush(), Postgres 15+).
 */
export async function readUpdates(sql: pg.ClientBase, pools: pg.Pool[] = []): Promise<Snapshot> {
  for (const pool of pools) {
    const clients = await Promise.all(
      Array.from({ length: pool.totalCount }, () => pool.connect()),
    );
    try {
      await Promise.all(clients.map((c) => c.query('SELECT pg_stat_force_next_flush()')));
      await Promise.all(clients.map((c) => c.query('SELECT 1')));
    } finally {
      for (const c of clients) c.release();
    }
  }
  await sql.query('SELECT pg_stat_force_next_flush()');
  await sql.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await sql.query<{ relname: string; upd: string; hot: string }>(
    `SELECT relname, n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables`,
  );
  return new Map(rows.map((r) => [r.relname, { upd: Number(r.upd), hot: Number(r.hot) }]));
}

/** The tables updated between two snapshots, with how many of their updates were HOT. */
export function updatesBetween(before: Snapshot, after: Snapshot): TableUpdates[] {
  const out: TableUpdates[] = [];
  for (const [table, now] of after) {
    const then = before.get(table) ?? { upd: 0, hot: 0 };
    const updates = now.upd - then.upd;
    if (updates > 0) out.push({ table, updates, hot: now.hot - then.hot });
  }
  return out.sort((a, b) => b.updates - a.updates);
}

/** `n_tup_hot_upd / n_tup_upd` as a percentage. */
export function hotShare(t: TableUpdates): string {
  return `${((100 * t.hot) / t.updates).toFixed(1)} %`;
}
