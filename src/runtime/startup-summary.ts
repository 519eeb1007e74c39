import type { AppConfig } from '../config/app-config.js';
import { databaseAddress } from '../prisma/database-address.js';

/** What prepareRuntime started because the configuration left it open. */
export interface StartedDependencies {
  embeddedPostgres?: { dir: string; port: number; database: string };
  simulator?: { url: string; controlUrl: string };
}

/** The host (and port) of an HTTP endpoint: not its path, query or any credentials in it. */
function endpointHost(url: string): string {
  return new URL(url).host;
}

/**
 * The lines a newcomer reads once the service listens: where it is, which database and which
 * provider it uses, how to get a key, where the console and the docs are. Plain words; never a
 * secret (no password of DATABASE_URL, no provider key secret, no callback secret).
 */
export function startupSummary(
  config: AppConfig,
  started: StartedDependencies,
  listenUrl: string,
): string[] {
  const pg = started.embeddedPostgres;
  const database = pg
    ? `embedded Postgres, data in ${pg.dir} (127.0.0.1:${pg.port}/${pg.database}); ` +
      'set DATABASE_URL to use your own server'
    : `Postgres at ${databaseAddress(config.database.url!)}`;
  const sim = started.simulator;
  const provider = sim
    ? `built-in Dyplsapi simulator at ${sim.url} (control API ${sim.controlUrl}; its numbers ` +
      'are not real); set PROVIDER_ENDPOINT and the PROVIDER_ACCESS_KEY_* settings for Alibaba Cloud'
    : `Alibaba Cloud Dyplsapi at ${endpointHost(config.provider.endpoint!)} ` +
      `(region ${config.provider.regionId}, ${config.provider.signature} signatures)`;
  const base = listenUrl.replace(/\/$/, '');
  const docs = config.http.docsPublic ? 'open to anyone here' : 'admin key needed';
  return [
    `axb-router listening on ${base}`,
    `Database: ${database}`,
    `Provider: ${provider}`,
    'API key: run `npm run apikey -- create --name me --roles order,routing,admin` ' +
      '(prints the key once) and send it as "authorization: Bearer <key>"',
    `Console: ${base}/console (sign in with an admin key). API docs: ${base}/docs (${docs})`,
  ];
}
