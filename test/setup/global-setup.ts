import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/prisma/embedded-postgres.js';
import { runMigrations } from '../../src/prisma/migrations/migration-runner.js';
import { createDatabase } from '../support/scratch-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's own database, migrated. */
    databaseUrl: string;
    /** A maintenance connection to the same server, for tests that need scratch databases. */
    serverUrl: string;
    /**
     * A migrated database nobody connects to: each test file's own database is a copy of it
     * (`CREATE DATABASE … TEMPLATE`, ~0.5 s) instead of a fresh migration run (~3 s each, 50+ files).
     */
    templateDatabase: string;
  }
}

/**
 * One fresh, uniquely named database per run, on DATABASE_URL's server when set, else on an
 * embedded Postgres; the real migrations are applied; it is dropped at the end. Beside it a
 * migrated template, closed once migrated, from which the files' own databases are copied.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let serverUrl = process.env.DATABASE_URL;
  let stopServer: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  if (!serverUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'axb-test-pg-'));
    const port = 55000 + Math.floor(Math.random() * 5000);
    const server = await startEmbeddedPostgres({ dir: dataDir, port, persistent: false });
    serverUrl = server.serverUrl;
    stopServer = () => server.stop();
  }
  const name = `axb_test_${Date.now()}_${process.pid}`;
  // The template: migrated by the real runner, then left without a connection (Postgres refuses
  // to copy a database someone is connected to). The run's database and every file's own are
  // copies of it; its name shares the run's prefix so the teardown drops it.
  const templateDatabase = `${name}_template`;
  await runMigrations({
    connectionString: await ensureDatabase(serverUrl, templateDatabase),
    migrationsDir: MIGRATIONS_DIR,
  });
  const databaseUrl = await createDatabase(serverUrl, name, templateDatabase);
  project.provide('databaseUrl', databaseUrl);
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      // Scratch databases of the migration tests, should a failing test have left any.
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`${name}_%`],
      );
      for (const row of rows)
        await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
    await stopServer?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
