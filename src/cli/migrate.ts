import { MIGRATIONS_DIR } from '../common/project-root.js';
import { Progress, formatDuration } from '../common/progress/progress.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { databaseAddress } from '../prisma/database-address.js';
import {
  definitionsLine,
  runMigrations,
  type MigrationEvent,
} from '../prisma/migrations/migration-runner.js';
import { cliDatabase } from './cli-database.js';

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or to the embedded Postgres
 * when it is unset) and exits. Safe to run from several places at once. Says what it will do,
 * each migration as it is applied with its time, and a summary (stdout); on a terminal a live
 * progress line shows the one running and for how long (stderr), since one migration on a big
 * table can take minutes.
 */
async function main(): Promise<void> {
  const db = await cliDatabase(loadConfig());
  let progress: Progress | undefined;
  const onProgress = (event: MigrationEvent) => {
    if (event.type === 'plan') {
      console.log(
        `Database ${databaseAddress(db.url)}: ${event.alreadyApplied} migration(s) applied, ` +
          `${event.pending.length} to apply.`,
      );
      if (event.pending.length)
        progress = new Progress('Migrating', { total: event.pending.length, unit: 'migrations' });
    } else if (event.type === 'start') {
      progress?.note(`applying ${event.name}`);
    } else if (event.type === 'definitions') {
      const line = definitionsLine(event);
      if (progress) progress.say(line);
      else console.log(line);
    } else {
      progress?.advance(1, '');
      const line = `[${event.index}/${event.of}] ${event.name}: ${formatDuration(event.ms)}`;
      if (progress) progress.say(line);
      else console.log(line);
    }
  };
  const started = performance.now();
  try {
    const result = await runMigrations({
      connectionString: db.url,
      migrationsDir: MIGRATIONS_DIR,
      onProgress,
    });
    const took = formatDuration(performance.now() - started);
    const total = result.applied.length + result.alreadyApplied.length;
    console.log(
      result.applied.length
        ? `Applied ${result.applied.length} migration(s) in ${took}; ${total} in all, the schema is up to date.`
        : `Nothing to apply: the schema is up to date (${total} migration(s)).`,
    );
  } finally {
    progress?.finish();
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
