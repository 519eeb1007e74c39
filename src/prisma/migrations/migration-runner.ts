import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { formatDuration } from '../../common/progress/progress.js';
import { readDefinitionFiles, readMigrationFiles, type MigrationFile } from './migration-files.js';
import { inTransaction } from '../transaction.js';

/**
 * Applies prisma/migrations without Prisma's migrate engine (which cannot be downloaded
 * offline). Bookkeeping uses Prisma's own `_prisma_migrations` table so that
 * `prisma migrate status` / `deploy` agree with what this runner did.
 *
 * - Serialised across processes by a session advisory lock: two instances starting at once
 *   apply each migration exactly once; the second waits, then finds nothing to do.
 * - Each migration runs in one transaction together with its bookkeeping row, so a failure
 *   leaves neither half-applied DDL nor a record of it.
 * - An applied migration whose file changed since (checksum) stops the run. A migration that was
 *   applied and whose file is gone is left alone: a folder is retired (deleted) only when all it
 *   held was a definition that prisma/sql/ now owns (20261123080000, a restated trigger function).
 *
 * Then the repeatable definitions (prisma/sql/*.sql: functions, triggers and the composite types
 * only they use), the way Flyway's repeatable migrations work: after every migration, in file
 * name order, whenever their checksums differ from the ones recorded in `_repeatable_definitions`.
 * A change to any file re-applies all of them, in one transaction, so a type one file drops and
 * recreates (CASCADE) is recreated for the functions of every later file too. Each file must be
 * safe to run again (CREATE OR REPLACE, DROP … IF EXISTS); a change edits one file.
 */

/** Arbitrary constant: the advisory lock key shared by every runner of this schema. */
const LOCK_KEY = 72707_1122;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
  /** Repeatable definitions applied by this run (all of them when any changed, else none). */
  definitions: string[];
}

/** What a runner is doing, for a progress display (`npm run migrate`). */
export type MigrationEvent =
  | { type: 'plan'; pending: string[]; alreadyApplied: number }
  | { type: 'start'; name: string; index: number; of: number }
  | { type: 'applied'; name: string; index: number; of: number; ms: number }
  /**
   * The repeatable definitions, all applied again because one changed: `changed` names those new
   * or different since last applied, and those gone from the folder (all of them the first time).
   */
  | { type: 'definitions'; names: string[]; changed: string[]; ms: number };

/** What a run's re-application of the definitions says, in the CLI and in the service's log. */
export function definitionsLine(event: Extract<MigrationEvent, { type: 'definitions' }>): string {
  const because = event.names.every((n) => event.changed.includes(n))
    ? 'all of them new or changed'
    : `changed since last applied: ${event.changed.join(', ')}`;
  return (
    `Definitions (prisma/sql) applied, all ${event.names.length} in name order ` +
    `(${because}) in ${formatDuration(event.ms)}`
  );
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

function check(files: MigrationFile[], rows: AppliedRow[]): Set<string> {
  const done = new Set<string>();
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of rows) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(
        `Migration ${row.migration_name} started but never finished; inspect the database, then ` +
          `mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() ...) to retry.`,
      );
    }
    const file = byName.get(row.migration_name);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${row.migration_name} was edited after it was applied ` +
          `(checksum ${row.checksum.slice(0, 12)}… recorded, ${file.checksum.slice(0, 12)}… on disk). ` +
          `Applied migrations are immutable: restore the file and add a new migration instead.`,
      );
    }
    done.add(row.migration_name);
  }
  return done;
}

const CREATE_DEFINITIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_repeatable_definitions" (
  "name" VARCHAR(255) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/**
 * Applies every definition when any of them differs from what was recorded: their names, and
 * which differed (new, changed, or gone from the folder); none when all were current.
 */
async function applyDefinitions(
  client: pg.Client,
  files: MigrationFile[],
): Promise<{ names: string[]; changed: string[] }> {
  await client.query(CREATE_DEFINITIONS_TABLE);
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM "_repeatable_definitions"',
  );
  const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
  const onDisk = new Set(files.map((f) => f.name));
  const changed = [
    ...files.filter((f) => recorded.get(f.name) !== f.checksum).map((f) => f.name),
    ...rows.filter((r) => !onDisk.has(r.name)).map((r) => r.name),
  ];
  if (changed.length === 0) return { names: [], changed };
  await inTransaction(client, async () => {
    for (const file of files) {
      try {
        await client.query(file.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`Definition ${file.name} failed; nothing was applied: ${reason}`);
      }
    }
    await client.query('DELETE FROM "_repeatable_definitions"');
    await client.query(
      `INSERT INTO "_repeatable_definitions" (name, checksum)
       SELECT * FROM unnest($1::text[], $2::text[])`,
      [files.map((f) => f.name), files.map((f) => f.checksum)],
    );
  });
  return { names: files.map((f) => f.name), changed };
}

async function applyOne(client: pg.Client, file: MigrationFile): Promise<void> {
  try {
    await inTransaction(client, async () => {
      await client.query(file.sql);
      await client.query(
        `INSERT INTO "_prisma_migrations"
           (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), file.checksum, file.name],
      );
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${reason}`);
  }
}

export async function runMigrations(options: {
  connectionString: string;
  migrationsDir: string;
  /** Repeatable definitions; by default the `sql` folder beside the migrations folder. */
  definitionsDir?: string;
  /** Apply only the migrations named before this one, and no definitions (upgrade tests). */
  stopBefore?: string;
  onProgress?: (event: MigrationEvent) => void;
}): Promise<MigrationResult> {
  const progress = options.onProgress ?? (() => undefined);
  const stopBefore = options.stopBefore;
  const files = (await readMigrationFiles(options.migrationsDir)).filter(
    (f) => stopBefore === undefined || f.name < stopBefore,
  );
  const definitions =
    stopBefore === undefined
      ? await readDefinitionFiles(
          options.definitionsDir ?? join(dirname(options.migrationsDir), 'sql'),
        )
      : [];
  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at
           FROM "_prisma_migrations" ORDER BY started_at`,
      );
      const done = check(files, rows);
      const pending = files.filter((f) => !done.has(f.name));
      const result: MigrationResult = {
        applied: [],
        alreadyApplied: files.filter((f) => done.has(f.name)).map((f) => f.name),
        definitions: [],
      };
      progress({
        type: 'plan',
        pending: pending.map((f) => f.name),
        alreadyApplied: result.alreadyApplied.length,
      });
      for (const [i, file] of pending.entries()) {
        const at = { name: file.name, index: i + 1, of: pending.length };
        progress({ type: 'start', ...at });
        const started = performance.now();
        await applyOne(client, file);
        progress({ type: 'applied', ...at, ms: performance.now() - started });
        result.applied.push(file.name);
      }
      if (definitions.length > 0) {
        const started = performance.now();
        const { names, changed } = await applyDefinitions(client, definitions);
        result.definitions = names;
        if (names.length > 0) {
          progress({ type: 'definitions', names, changed, ms: performance.now() - started });
        }
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
