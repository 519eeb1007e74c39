import { ConfigError, loadConfig } from '../config/load-config.js';
import { MIGRATIONS_DIR } from '../common/project-root.js';
import { runMigrations } from '../prisma/migrations/migration-runner.js';
import { cliDatabase } from './cli-database.js';

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or to the embedded Postgres
 * when it is unset) and exits. Safe to run from several places at once.
 */
async function main(): Promise<void> {
  const db = await cliDatabase(loadConfig());
  try {
    const result = await runMigrations({
      connectionString: db.url,
      migrationsDir: MIGRATIONS_DIR,
      logger: { log: (m) => console.log(m) },
    });
    console.log(
      result.applied.length
        ? `Applied ${result.applied.length} migration(s).`
        : `Nothing to apply: ${result.alreadyApplied.length} migration(s) already applied.`,
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
