import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { MIGRATIONS_DIR } from '../common/project-root.js';
import { formatDuration } from '../common/progress/progress.js';
import { ensureDatabase, startEmbeddedPostgres } from '../prisma/embedded-postgres.js';
import { definitionsLine, runMigrations } from '../prisma/migrations/migration-runner.js';
import type { StopFn } from './runtime-resources.js';
import type { StartedDependencies } from './startup-summary.js';

const EMBEDDED_DATABASE = 'axb';

/**
 * Resolves what the configuration left open before the app is built: with no DATABASE_URL an
 * embedded Postgres, with no PROVIDER_ENDPOINT the built-in simulator (and the message consumer
 * on its queues); then pending migrations.
 * Returns the configuration with both filled in, how to stop what was started, and what was
 * started (with the simulator main.ts readies the default pool, see embedded-pool.ts; the
 * start-up summary names both, see startup-summary.ts).
 */
export async function prepareRuntime(
  config: AppConfig,
): Promise<{ config: AppConfig; stops: StopFn[]; started: StartedDependencies }> {
  const logger = new Logger('Runtime');
  const stops: StopFn[] = [];
  const started: StartedDependencies = {};
  try {
    let url = config.database.url;
    if (!url) {
      const { dir, port } = config.database.embedded;
      const server = await startEmbeddedPostgres({ dir, port, log: (l) => logger.warn(l) });
      stops.push(async () => {
        await server.stop();
        logger.log('Embedded Postgres stopped');
      });
      url = await ensureDatabase(server.serverUrl, EMBEDDED_DATABASE);
      started.embeddedPostgres = { dir, port, database: EMBEDDED_DATABASE };
      logger.warn(
        `DATABASE_URL is not set: started an embedded Postgres on 127.0.0.1:${port} ` +
          `(data in ${dir}). Set DATABASE_URL to use your own server.`,
      );
    }
    if (config.database.migrateOnStart) {
      const migrating = performance.now();
      const result = await runMigrations({
        connectionString: url,
        migrationsDir: MIGRATIONS_DIR,
        onProgress: (event) => {
          if (event.type === 'definitions') logger.log(definitionsLine(event));
        },
      });
      const took = formatDuration(performance.now() - migrating);
      logger.log(
        result.applied.length
          ? `Applied ${result.applied.length} migration(s) in ${took}: ${result.applied.join(', ')}`
          : `Database schema up to date (${result.alreadyApplied.length} migrations)`,
      );
    }

    let endpoint = config.provider.endpoint;
    let messages = config.messages;
    // Webhook receivers on this host are expected on the embedded defaults (a local setup) only.
    const webhooks = {
      ...config.webhooks,
      allowPrivateUrls:
        config.webhooks.allowPrivateUrls === 'auto' ? !endpoint : config.webhooks.allowPrivateUrls,
    };
    if (!endpoint) {
      // Imported lazily: the simulator is a separate program, loaded only in this embedded mode.
      // It runs on a worker thread of its own, as the real provider runs elsewhere: in-process,
      // every provider call (a refresh ahead, the message consumer's long polls) cost the
      // service's event loop the provider's side too, a stall for the lookups answered beside it.
      const { startSimulatorThread } = await import('../../simulator/thread.js');
      const simulator = await startSimulatorThread(
        {
          port: config.provider.embeddedSimulatorPort,
          accessKeyId: config.provider.accessKeyId,
          accessKeySecret: config.provider.accessKeySecret,
          poolKeys: [config.pools.defaultPoolKey],
        },
        (error) => logger.error(`The built-in simulator's thread failed: ${error.stack ?? error}`),
      );
      stops.push(() => simulator.close());
      endpoint = simulator.url;
      started.simulator = { url: simulator.url, controlUrl: simulator.controlUrl };
      // Health and call records reach the service the way Alibaba delivers them: MNS queues.
      messages = {
        ...messages,
        accountUid: messages.accountUid ?? simulator.accountUid,
        mnsEndpoint: simulator.mnsEndpoint,
        dybaseapiEndpoint: simulator.url,
      };
      logger.warn(
        `PROVIDER_ENDPOINT is not set: started the built-in Dyplsapi simulator at ${endpoint} ` +
          `(control API ${simulator.controlUrl}). Set PROVIDER_ENDPOINT and keys for Alibaba Cloud.`,
      );
    }
    return {
      config: {
        ...config,
        database: { ...config.database, url },
        provider: { ...config.provider, endpoint },
        messages,
        webhooks,
      },
      stops,
      started,
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}
