import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { dropDatabase } from './drop-database.js';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/prisma/embedded-postgres.js';
import { runMigrations } from '../../src/prisma/migrations/migration-runner.js';

/**
 * A fresh, migrated database for one benchmark run: on DATABASE_URL's server when set, else on
 * an embedded Postgres in a temporary folder. `drop()` removes it (and stops the embedded server).
 */
export async function createBenchDatabase(
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  let serverUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'axb-bench-pg-'));
    await chmod(dir, 0o755);
    const server = await startEmbeddedPostgres({
      dir: join(dir, 'pg'),
      port: 56000 + Math.floor(Math.random() * 3000),
      persistent: false,
    });
    serverUrl = server.serverUrl;
    // (the server removes its data folder; the temporary folder around it goes too)
    stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  // Named after DATABASE_URL's own database when it names one (several benches sharing a server
  // each keep to their own prefix), else axb_bench.
  const own = serverUrl ? decodeURIComponent(new URL(serverUrl).pathname.slice(1)) : '';
  const prefix = own && own !== 'postgres' ? own : 'axb_bench';
  const dbName = `${prefix}_${name}_${Date.now()}`;
  const url = await ensureDatabase(serverUrl, dbName);
  await runMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
  return {
    url,
    drop: async () => {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await dropDatabase(admin, dbName);
      } finally {
        await admin.end();
      }
      await stop?.();
    },
  };
}
