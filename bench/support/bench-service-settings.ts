import { BENCH_KEY_SETTINGS } from './bench-key.js';

/**
 * What every benchmark's service is started with, in-process or as a child: production mode,
 * errors only in the log, an already migrated `databaseUrl`, no scheduled jobs (a bench runs the
 * ones it measures itself), the provider at `providerUrl` (the simulator) with its keys, `poolKey`
 * as the default pool, and the bench key without a rate limit. A bench adds its own on top.
 */
export function benchServiceSettings(options: {
  databaseUrl: string;
  providerUrl: string;
  provider?: { accessKeyId: string; accessKeySecret: string };
  poolKey: string;
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: options.databaseUrl,
    MIGRATE_ON_START: 'false',
    SCHEDULER_ENABLED: 'false',
    PROVIDER_ENDPOINT: options.providerUrl,
    ...(options.provider
      ? {
          PROVIDER_ACCESS_KEY_ID: options.provider.accessKeyId,
          PROVIDER_ACCESS_KEY_SECRET: options.provider.accessKeySecret,
        }
      : {}),
    DEFAULT_POOL_KEY: options.poolKey,
    ...BENCH_KEY_SETTINGS,
  };
}
