import { cp, mkdtemp, mkdir, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import { MigrationError, runMigrations } from '../../src/prisma/migrations/migration-runner.js';
import { createScratchDatabase } from '../support/scratch-database.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scratch(): Promise<string> {
  const db = await createScratchDatabase();
  cleanups.push(db.drop);
  return db.url;
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'axb-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const folders = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

describe('migration runner', () => {
  it('applies every migration once, records it as Prisma does, and is a no-op when up to date', async () => {
    const url = await scratch();
    const expected = await folders(MIGRATIONS_DIR);

    const first = await runMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
    expect(first.applied).toEqual(expected);

    const second = await runMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(expected);

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(expected);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('refuses to run when an applied migration was edited, naming it', async () => {
    const url = await scratch();
    const dir = await copyOfMigrations();
    await runMigrations({ connectionString: url, migrationsDir: dir });
    const [firstName] = await folders(dir);
    await appendFile(join(dir, firstName!, 'migration.sql'), '\n-- edited afterwards\n');

    const run = runMigrations({ connectionString: url, migrationsDir: dir });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(runMigrations({ connectionString: url, migrationsDir: dir })).rejects.toThrow(
      new RegExp(`${firstName} was edited after it was applied`),
    );
  });

  it('applies each migration exactly once when several runners start at once', async () => {
    const url = await scratch();
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        runMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR }),
      ),
    );
    const expected = await folders(MIGRATIONS_DIR);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(expected);
    const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM "_prisma_migrations"');
    expect(Number(rows[0]!.n)).toBe(expected.length);
  });

  it('rolls back a failing migration completely and records nothing for it', async () => {
    const url = await scratch();
    const dir = await copyOfMigrations();
    const bad = join(dir, '99990101000000_broken');
    await mkdir(bad);
    await writeFile(
      join(bad, 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n',
    );

    await expect(runMigrations({ connectionString: url, migrationsDir: dir })).rejects.toThrow(
      /99990101000000_broken failed and was rolled back/,
    );
    const names = await query<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM "_prisma_migrations"',
    );
    expect(names.map((r) => r.migration_name)).not.toContain('99990101000000_broken');
    const tables = await query<{ t: string | null }>(
      url,
      "SELECT to_regclass('half_done')::text AS t",
    );
    expect(tables[0]!.t).toBeNull();
  });
});
