import type { AppConfig } from '../config/app-config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../prisma/embedded-postgres.js';

/**
 * The database a CLI command works on: DATABASE_URL, or the embedded Postgres of `npm start`
 * (started for the command, or the one a running service has up, which is then left running).
 */
export async function cliDatabase(
  config: AppConfig,
): Promise<{ url: string; close: () => Promise<void> }> {
  if (config.database.url) return { url: config.database.url, close: async () => {} };
  const server = await startEmbeddedPostgres(config.database.embedded);
  const url = await ensureDatabase(server.serverUrl, 'axb');
  console.error(
    `DATABASE_URL is not set: using the embedded Postgres in ${config.database.embedded.dir}`,
  );
  return { url, close: () => (server.reused ? Promise.resolve() : server.stop()) };
}
