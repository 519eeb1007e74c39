import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { dropDatabase } from '../../bench/support/drop-database.js';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import {
  runMigrations,
  type MigrationResult,
} from '../../src/prisma/migrations/migration-runner.js';

/**
 * An empty database beside the run's own, for tests that must start from nothing (migrations).
 * Named after the run's database so the global teardown drops any a failing test leaves behind.
 */
export async function createScratchDatabase(
  options: { template?: string } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = inject('serverUrl');
  const runDb = new URL(inject('databaseUrl')).pathname.slice(1);
  const name = `${runDb}_${randomBytes(4).toString('hex')}`;
  return {
    url: await createDatabase(serverUrl, name, options.template),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await dropDatabase(client, name);
      } finally {
        await client.end();
      }
    },
  };
}

/** CREATE DATABASE on the server, empty or as a copy of `template`; answers its URL. */
export async function createDatabase(
  serverUrl: string,
  name: string,
  template?: string,
): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(
      template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`,
    );
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A scratch database with the real migrations applied: one per test file keeps files apart. A copy
 * of the run's migrated template (global-setup.ts), which the real runner migrated; a test that
 * is about migrating itself starts from createScratchDatabase() and runs them.
 */
export async function createMigratedDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  return createScratchDatabase({ template: inject('templateDatabase') });
}

/**
 * An upgrade test's database: a scratch database migrated as the version before `migration` left
 * it (the migrations named before it, and no definitions), and `upgrade()`, which runs the real
 * runner from there to today's schema (answering what it applied).
 */
export async function createDatabaseBefore(migration: string): Promise<{
  url: string;
  drop: () => Promise<void>;
  upgrade: () => Promise<MigrationResult>;
}> {
  const db = await createScratchDatabase();
  await runMigrations({
    connectionString: db.url,
    migrationsDir: MIGRATIONS_DIR,
    stopBefore: migration,
  });
  return {
    ...db,
    upgrade: () => runMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR }),
  };
}
