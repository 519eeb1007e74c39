import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { readMigrationFiles, type MigrationFile } from './migration-files.js';

/**
 * Applies prisma/migrations without Prisma's migrate engine (which cannot be downloaded
 * offline). Bookkeeping uses Prisma's own `_prisma_migrations` table so that
 * `prisma migrate status` / `deploy` agree with what this runner did.
 *
 * - Serialised across processes by a session advisory lock: two instances starting at once
 *   apply each migration exactly once; the second waits, then finds nothing to do.
 * - Each migration runs in one transaction together with its bookkeeping row, so a failure
 *   leaves neither half-applied DDL nor a record of it.
 * - An applied migration whose file changed since (checksum) stops the run.
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
}

export interface MigrationLogger {
  log(message: string): void;
}

/** What a runner is doing, for a progress display (`npm run migrate`). */
export type MigrationEvent =
  | { type: 'plan'; pending: string[]; alreadyApplied: number }
  | { type: 'start'; name: string; index: number; of: number }
  | { type: 'applied'; name: string; index: number; of: number; ms: number };

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

async function applyOne(client: pg.Client, file: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(file.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [randomUUID(), file.checksum, file.name],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${reason}`);
  }
}

export async function runMigrations(options: {
  connectionString: string;
  migrationsDir: string;
  logger?: MigrationLogger;
  onProgress?: (event: MigrationEvent) => void;
}): Promise<MigrationResult> {
  const progress = options.onProgress ?? (() => undefined);
  const files = await readMigrationFiles(options.migrationsDir);
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
        options.logger?.log(`Applied migration ${file.name}`);
        result.applied.push(file.name);
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
