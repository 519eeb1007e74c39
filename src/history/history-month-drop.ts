import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** The record's tables in the order a month is detached: bindings first (its check fences it). */
export const HISTORY_TABLES = [
  'bindings',
  'binding_events',
  'routed_counts',
  'binding_subscriptions',
  'call_records',
  'call_progress',
] as const;

/** A month of the record: `YYYY-MM` and its id range [lo, hi). */
export interface HistoryMonth {
  month: string;
  lo: string;
  hi: string;
}

/** What dropping a month did. */
export type MonthDropOutcome =
  | {
      kind: 'dropped';
      /** Partitions dropped (one per table that still had its month). */
      partitions: number;
      /** The longest a detach held its parent's lock (binds of any month wait meanwhile), ms. */
      longestLockMs: number;
      /** Detaches that gave up waiting for the lock (lock_timeout) and tried again. */
      lockRetries: number;
    }
  | { kind: 'kept'; reason: 'live' | 'legacy'; orders: string[] }
  /** A parent's lock was not had in time on any attempt: nothing more done; the next pass goes on. */
  | { kind: 'busy'; lockRetries: number };

/**
 * How long a detach waits for its parent's lock. A bind in flight holds the parent for its
 * transaction; while the detach waits, later binds queue behind it, so the wait is short and
 * retried rather than long.
 */
const LOCK_TIMEOUT_MS = 200;
const ATTEMPTS = 8;
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * A binding of the month's id range that is not over (live, open at the provider, in a contact
 * window), or an old binding the range took (history_legacy_bindings) not past retention by its
 * own times. `bindings` names the month's bindings partition (attached or just detached).
 */
async function keptBy(
  client: pg.PoolClient,
  bindings: string,
  { lo, hi }: HistoryMonth,
  cutoff: Date,
): Promise<{ reason: 'live' | 'legacy'; orders: string[] } | null> {
  const { rows: open } = await client.query<{ out_id: string }>(
    `SELECT coalesce(out_id, 'binding ' || binding_id) AS out_id
       FROM history_range_open_orders($1, $2, 20)`,
    [lo, hi],
  );
  if (open.length > 0) return { reason: 'live', orders: open.map((o) => o.out_id) };
  const { rows: young } = await client.query<{ out_id: string }>(
    `SELECT b.out_id FROM ${bindings} b
      WHERE b.id IN (SELECT binding_id FROM history_legacy_bindings
                      WHERE binding_id >= $2 AND binding_id < $3)
        AND NOT (b.created_at < $1 AND coalesce(b.ended_at, b.expires_at) < $1)
      LIMIT 20`,
    [cutoff, lo, hi],
  );
  if (young.length > 0) return { reason: 'legacy', orders: young.map((o) => o.out_id) };
  return null;
}

/**
 * Detaches one partition in a short transaction of its own (DETACH … CONCURRENTLY is refused
 * on a table with a DEFAULT partition, and a plain one takes the parent's ACCESS EXCLUSIVE lock:
 * binds wait while it is held, so it is held for the detach alone). `check`, run under the lock
 * after the detach, rolls it back when it returns a reason. Retries a lock not had in time.
 */
async function detach<T>(
  client: pg.PoolClient,
  parent: string,
  name: string,
  check: () => Promise<T | null>,
): Promise<{ kept: T | null; lockMs: number; retries: number } | { busy: true; retries: number }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
      const started = performance.now();
      await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${name}`);
      const kept = await check();
      await client.query(kept ? 'ROLLBACK' : 'COMMIT');
      return { kept, lockMs: performance.now() - started, retries: attempt };
    } catch (error) {
      await client.query('ROLLBACK');
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
      await sleep(50 * (attempt + 1));
    }
  }
  return { busy: true, retries: ATTEMPTS };
}

/**
 * Drops one month of the record: its bindings partition detached first, and kept (rolled back)
 * if one of its bindings is not over or an old one is not past retention; then every other
 * table's partition detached, each in its own short transaction; then the detached tables
 * dropped (that locks nothing binds use). Every step is idempotent: a pass that stopped midway
 * (a crash, a lock not had) is finished by the next, which finds the month's partitions detached
 * or gone. Once the bindings partition is detached the month is going: what a late write of its
 * range adds to another table before that table's detach goes with it.
 */
export async function dropHistoryMonth(
  client: pg.PoolClient,
  month: HistoryMonth,
  cutoff: Date,
  now: Date,
): Promise<MonthDropOutcome> {
  const suffix = month.month.replace('-', '_');
  const names = HISTORY_TABLES.map((t) => `${t}_p${suffix}`);
  const { rows: present } = await client.query<{ name: string; attached: boolean }>(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
            AS attached
       FROM pg_class c
      WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace`,
    [names],
  );
  const attached = new Set(present.filter((p) => p.attached).map((p) => p.name));
  let longestLockMs = 0;
  let lockRetries = 0;
  for (const [i, table] of HISTORY_TABLES.entries()) {
    const name = names[i]!;
    if (!attached.has(name)) continue;
    if (table === 'bindings') {
      // Looked at before any lock: a month that stays costs binds nothing.
      const before = await keptBy(client, name, month, cutoff);
      if (before) return { kind: 'kept', ...before };
    }
    const done = await detach(client, table, name, () =>
      table === 'bindings' ? keptBy(client, name, month, cutoff) : Promise.resolve(null),
    );
    lockRetries += done.retries;
    if ('busy' in done) return { kind: 'busy', lockRetries };
    if (done.kept) return { kind: 'kept', ...done.kept };
    longestLockMs = Math.max(longestLockMs, done.lockMs);
  }
  let partitions = 0;
  await client.query(`SET lock_timeout = '5s'`);
  try {
    for (const { name } of present) {
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      partitions++;
    }
  } finally {
    await client.query('RESET lock_timeout');
  }
  await client.query(
    `UPDATE history_partitions SET dropped_at = $2 WHERE name = ANY($1) AND dropped_at IS NULL`,
    [names, now],
  );
  await client.query(
    'DELETE FROM history_legacy_bindings WHERE binding_id >= $1 AND binding_id < $2',
    [month.lo, month.hi],
  );
  return { kind: 'dropped', partitions, longestLockMs, lockRetries };
}
