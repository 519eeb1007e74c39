import { ConfigError, loadConfig } from '../config/load-config.js';
import { MIGRATIONS_DIR } from '../common/project-root.js';
import { ensureDatabase, startEmbeddedPostgres } from '../prisma/embedded-postgres.js';
import { runMigrations } from '../prisma/migrations/migration-runner.js';

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or to the embedded Postgres
 * when it is unset) and exits. Safe to run from several places at once.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  let url = config.database.url;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const server = await startEmbeddedPostgres(config.database.embedded);
    stop = () => server.stop();
    url = await ensureDatabase(server.serverUrl, 'axb');
    console.log(
      `DATABASE_URL is not set: migrating the embedded Postgres in ${config.database.embedded.dir}`,
    );
  }
  try {
    const result = await runMigrations({
      connectionString: url,
      migrationsDir: MIGRATIONS_DIR,
      logger: { log: (m) => console.log(m) },
    });
    console.log(
      result.applied.length
        ? `Applied ${result.applied.length} migration(s).`
        : `Nothing to apply: ${result.alreadyApplied.length} migration(s) already applied.`,
    );
  } finally {
    await stop?.();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
