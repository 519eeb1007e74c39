import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Progress } from '../../src/common/progress/progress.js';
import {
  HistoryPopulation,
  RECORD_COLUMNS,
  RECORD_TABLES,
  emptyLines,
  writeHistoryRows,
  type AgedNumbers,
  type HistoryShape,
  type RecordLines,
  type RecordTable,
} from './history-rows.js';
import {
  createIndexes,
  dropIndexes,
  secondaryIndexes,
  type IndexDefinition,
} from './record-indexes.js';

/** Bindings per COPY statement (one transaction per table each). */
const CHUNK = 25_000;
/** Bindings generated between two writes to the streams (the servers work meanwhile). */
const SLICE = 2_000;

export interface SeedOptions {
  /** Where progress lines go (stderr by default). */
  progress?: boolean;
  /** How aged bindings' numbers are written; none: the aged share is written with real numbers. */
  aged?: AgedNumbers;
  /** Drop the secondary indexes while loading an empty record, then build them (default true). */
  deferIndexes?: boolean;
  /** VACUUM ANALYZE the record after loading (default true). */
  vacuum?: boolean;
}

export interface SeedSummary {
  rows: Record<RecordTable, number>;
  /** Milliseconds of each phase. */
  loadMs: number;
  indexMs: number;
  vacuumMs: number;
  totalMs: number;
  /** Indexes dropped for the load and built after, with their build time. */
  builtIndexes: Array<{ name: string; ms: number }>;
  /** Month partitions made for the seeded months (none: they existed, or the record is not partitioned). */
  partitions: number;
  /** Whether triggers and foreign-key checks were off for the load (superuser only). */
  replica: boolean;
  /** The record's size on disk afterwards, bytes (tables with their indexes). */
  bytes: number;
}

/**
 * Fills the record with `shape.bindings` ended bindings and everything they leave (history-rows.ts)
 * with COPY: one connection per table, each chunk of bindings one COPY per table, the next chunk
 * generated while one is copied. As a superuser the
 * load runs with `session_replication_role = replica` (no trigger or foreign-key check per row:
 * the rows are consistent by construction, and what the triggers would add for an ended binding,
 * its SubsId row, is written here), else through the triggers, bindings first. Into an empty
 * record the secondary indexes are dropped first and built after (their exact definitions).
 * Never touches live_pairs: every binding written has ended.
 */
export async function seedHistory(
  url: string,
  shape: HistoryShape,
  options: SeedOptions = {},
): Promise<SeedSummary> {
  const started = performance.now();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const writers = RECORD_TABLES.map(() => new pg.Client({ connectionString: url }));
  const progress = options.progress
    ? new Progress('Seeding history', { total: shape.bindings, unit: 'bindings' })
    : undefined;
  try {
    await Promise.all(writers.map((w) => w.connect()));
    await admin.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [
      shape.poolKey,
    ]);
    const replica = await tryReplica(writers);
    for (const w of writers) await w.query(`SET synchronous_commit = off`);

    const partitions = await ensureMonthPartitions(admin, shape);
    const empty = (await admin.query(`SELECT NOT EXISTS (SELECT 1 FROM bindings) AS empty`)).rows[0]
      .empty as boolean;
    let deferred: IndexDefinition[] = [];
    if (empty && options.deferIndexes !== false) {
      deferred = await secondaryIndexes(admin, RECORD_TABLES);
      await dropIndexes(admin, deferred);
    }

    const population = new HistoryPopulation(shape.bindings);
    const rows = Object.fromEntries(RECORD_TABLES.map((t) => [t, 0])) as Record<
      RecordTable,
      number
    >;
    // Chunk k+1 is generated while chunk k is copied: the servers and this process work at once.
    let copying: Promise<void> | undefined;
    for (let from = 0; from < shape.bindings; from += CHUNK) {
      const to = Math.min(shape.bindings, from + CHUNK);
      const slices: RecordLines[] = [];
      for (let at = from; at < to; at += SLICE) {
        const lines = emptyLines();
        writeHistoryRows(shape, population, at, Math.min(to, at + SLICE), lines, options.aged);
        for (const t of RECORD_TABLES) rows[t] += lines[t].length;
        slices.push(lines);
        // Let the sockets of the chunk being copied drain.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await copying;
      const note = `${rows.binding_events} events, ${rows.call_records} calls`;
      copying = copyChunk(writers, replica, slices).then(() => progress?.update(to, note));
    }
    await copying;
    const loadMs = performance.now() - started;

    const builtIndexes: SeedSummary['builtIndexes'] = [];
    const indexStarted = performance.now();
    if (deferred.length) {
      progress?.note(`building ${deferred.length} indexes`);
      const builders = writers.slice(0, 2);
      for (const b of builders) await b.query(`SET maintenance_work_mem = '256MB'`);
      await createIndexes(builders, deferred, (index, ms) => {
        builtIndexes.push({ name: index.name, ms });
        progress?.note(`built ${index.name}`);
      });
    }
    const indexMs = performance.now() - indexStarted;
    // Older bindings than the aging cursor may have passed: it starts again from the oldest
    // (aging skips what is aged already).
    await admin.query(`DELETE FROM aging_progress`);
    const vacuumStarted = performance.now();
    if (options.vacuum !== false) {
      progress?.note('VACUUM ANALYZE');
      for (const t of RECORD_TABLES) await admin.query(`VACUUM ANALYZE ${t}`);
    }
    const vacuumMs = performance.now() - vacuumStarted;
    const bytes = Number(
      (
        await admin.query(
          `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes
             FROM pg_class c
            WHERE c.relname = ANY($1::text[])
               OR c.oid IN (SELECT inhrelid FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent
                             WHERE p.relname = ANY($1::text[]))`,
          [RECORD_TABLES],
        )
      ).rows[0].bytes,
    );
    return {
      rows,
      loadMs,
      indexMs,
      vacuumMs,
      totalMs: performance.now() - started,
      builtIndexes,
      partitions,
      replica,
      bytes,
    };
  } finally {
    progress?.finish();
    await Promise.all(writers.map((w) => w.end().catch(() => undefined)));
    await admin.end();
  }
}

/**
 * The month partitions of every table of the record (prisma/sql/090_history_partitions.sql) from
 * the first seeded month to the current one, so seeded rows land in their months as the service's
 * would, not in the DEFAULT partitions. Nothing on a record that is not partitioned.
 */
async function ensureMonthPartitions(
  sql: pg.Client,
  shape: Pick<HistoryShape, 'months' | 'endMs'>,
): Promise<number> {
  const { rows } = await sql.query(`SELECT to_regprocedure(
      'history_partition_create(text, timestamptz, timestamptz)') IS NOT NULL AS partitioned`);
  if (!rows[0].partitioned) return 0;
  const first = new Date(shape.endMs - shape.months * 30 * 86_400_000);
  const now = new Date();
  let made = 0;
  for (
    let month = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
    month <= now;
    month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1))
  ) {
    const created = await sql.query(
      `SELECT count(*) FILTER (WHERE history_partition_create(t.parent, $1, now()) IS NOT NULL) AS n
         FROM history_tables() t`,
      [month],
    );
    made += Number(created.rows[0].n);
  }
  return made;
}

/** Triggers and foreign-key checks off for these sessions, when the role may (superuser). */
async function tryReplica(writers: pg.Client[]): Promise<boolean> {
  const { rows } = await writers[0].query(
    `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`,
  );
  if (!rows[0]?.rolsuper) return false;
  for (const w of writers) await w.query(`SET session_replication_role = replica`);
  return true;
}

/**
 * One chunk: a COPY per table on its connection, fed with the chunk's slices. Through
 * the triggers (not replica) an event's binding must be committed first, so the bindings go
 * alone, then the rest.
 */
async function copyChunk(
  writers: pg.Client[],
  replica: boolean,
  slices: RecordLines[],
): Promise<void> {
  const copy = async (tables: RecordTable[]) => {
    await Promise.all(
      tables.map(async (table) => {
        const writer = writers[RECORD_TABLES.indexOf(table)];
        const stream = writer.query(
          copyFrom(`COPY ${table} (${RECORD_COLUMNS[table].join(', ')}) FROM STDIN`),
        );
        for (const lines of slices) {
          if (!lines[table].length) continue;
          if (!stream.write(`${lines[table].join('\n')}\n`)) await once(stream, 'drain');
        }
        stream.end();
        await finished(stream);
      }),
    );
  };
  if (replica) await copy(RECORD_TABLES);
  else {
    await copy(['bindings']);
    await copy(RECORD_TABLES.filter((t) => t !== 'bindings'));
  }
}
