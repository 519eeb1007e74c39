import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import { runMigrations } from '../../src/prisma/migrations/migration-runner.js';

/**
 * An empty database beside the run's own, for tests that must start from nothing (migrations).
 * Named after the run's database so the global teardown drops any a failing test leaves behind.
 */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = inject('serverUrl');
  const runDb = new URL(inject('databaseUrl')).pathname.slice(1);
  const name = `${runDb}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A scratch database with the real migrations applied: one per test file keeps files apart. */
export async function createMigratedDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const db = await createScratchDatabase();
  await runMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR });
  return db;
}
