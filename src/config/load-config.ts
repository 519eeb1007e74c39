import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { AppConfig } from './app-config.js';
import { Environment } from './environment.js';
import { parseProxyList } from './proxy-list.js';

/** Thrown when settings are invalid; the message names every bad key. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    /** LOG_FORMAT when it was valid itself, so the error is written as asked. */
    readonly logFormat: AppConfig['logFormat'] = 'auto',
  ) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Settings whose values are secrets: a validation message names them but never shows them. */
const SECRET_SETTINGS = new Set([
  'API_KEYS',
  'CALLBACK_SECRET',
  'PROVIDER_ACCESS_KEY_SECRET',
  'DATABASE_URL',
]);

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const shown = SECRET_SETTINGS.has(e.property)
      ? '<hidden>'
      : typeof e.value === 'string'
        ? JSON.stringify(e.value)
        : String(e.value);
    const reasons = Object.values(e.constraints ?? {}).join('; ');
    return `${e.property}=${shown}: ${reasons}`;
  });
}

/**
 * The process environment over the settings of a `.env` file in the working directory, if there
 * is one: what the environment sets wins. Read with Node's own parser (no dependency).
 */
export function environmentWithDotEnv(
  env: Record<string, string | undefined> = process.env,
  file = join(process.cwd(), '.env'),
): Record<string, string | undefined> {
  if (!existsSync(file)) return env;
  const fromFile = parseEnv(readFileSync(file, 'utf8'));
  return { ...fromFile, ...env };
}

/**
 * Validates the environment once and returns the typed configuration. The only place in the
 * service that reads process.env (by default, with `.env` under it); tests pass their own map.
 */
export function loadConfig(
  source: Record<string, string | undefined> = environmentWithDotEnv(),
): AppConfig {
  const known = Object.keys(new Environment());
  const raw: Record<string, string> = {};
  for (const key of [...known, 'DATABASE_URL', 'PROVIDER_ENDPOINT']) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const format = errors.some((e) => e.property === 'LOG_FORMAT') ? 'auto' : env.LOG_FORMAT;
    throw new ConfigError(describe(errors), format);
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS)
    throw new ConfigError(
      [
        `HTTP_HEADERS_TIMEOUT_MS=${env.HTTP_HEADERS_TIMEOUT_MS}: must not exceed HTTP_REQUEST_TIMEOUT_MS (${env.HTTP_REQUEST_TIMEOUT_MS})`,
      ],
      env.LOG_FORMAT,
    );

  return {
    env: env.NODE_ENV as AppConfig['env'],
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      maxBodyDepth: env.HTTP_MAX_BODY_DEPTH,
      maxUrlLength: env.HTTP_MAX_URL_LENGTH,
      maxHeaderBytes: env.HTTP_MAX_HEADER_BYTES,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: env.HTTP_CONNECTION_TIMEOUT_MS,
      docsPublic:
        env.DOCS_PUBLIC === 'auto' ? env.NODE_ENV === 'development' : env.DOCS_PUBLIC === 'true',
      trustedProxies: parseProxyList(env.TRUSTED_PROXIES),
    },
    shutdown: { drainTimeoutMs: env.SHUTDOWN_DRAIN_TIMEOUT_MS },
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
      maxWaiting: env.DATABASE_POOL_MAX_WAITING,
      idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      admin: {
        poolSize: env.ADMIN_DATABASE_POOL_SIZE,
        maxWaiting: env.ADMIN_DATABASE_POOL_MAX_WAITING,
        statementTimeoutMs: env.ADMIN_STATEMENT_TIMEOUT_MS,
      },
      migrateOnStart: env.MIGRATE_ON_START,
      embedded: { dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT },
    },
    provider: {
      endpoint: env.PROVIDER_ENDPOINT,
      accessKeyId: env.PROVIDER_ACCESS_KEY_ID,
      accessKeySecret: env.PROVIDER_ACCESS_KEY_SECRET,
      regionId: env.PROVIDER_REGION_ID,
      timeoutMs: env.PROVIDER_TIMEOUT_MS,
      connections: env.PROVIDER_CONNECTIONS,
      readRetries: env.PROVIDER_READ_RETRIES,
      signature: env.PROVIDER_SIGNATURE,
      embeddedSimulatorPort: env.EMBEDDED_SIMULATOR_PORT,
    },
    pools: {
      defaultPoolKey: env.DEFAULT_POOL_KEY,
      defaultCity: env.DEFAULT_CITY,
      maxPairsPerX: env.X_MAX_PAIRS,
    },
    privacy: {
      maskAfterDays: env.PHONE_MASK_AFTER_DAYS,
      hashSecret: env.PHONE_HASH_SECRET,
      agingIntervalMs: env.SCHEDULER_PRIVACY_AGING_INTERVAL_MS,
      agingBatchSize: env.PRIVACY_AGING_BATCH_SIZE,
      agingWorkers: env.PRIVACY_AGING_WORKERS,
    },
    bindings: {
      maxTtlSeconds: env.BINDING_MAX_TTL_SECONDS,
      maxBindAttempts: env.BIND_MAX_ATTEMPTS,
      batchSize: env.BIND_BATCH_SIZE,
      batchConcurrency: env.BIND_BATCH_CONCURRENCY,
      phoneSearchPerMinute: env.PHONE_SEARCH_PER_MINUTE,
      endTripContactWindowSeconds: env.END_TRIP_CONTACT_WINDOW_SECONDS,
    },
    recordings: { linkReuseMarginMs: env.RECORDING_LINK_REUSE_MARGIN_SECONDS * 1000 },
    routing: {
      budgetMs: env.ROUTING_BUDGET_MS,
      cacheTtlMs: env.ROUTING_CACHE_TTL_MS,
      cacheMaxEntries: env.ROUTING_CACHE_MAX_ENTRIES,
      listenerHeartbeatMs: env.ROUTING_LISTENER_HEARTBEAT_MS,
      breakerFailures: env.ROUTING_BREAKER_FAILURES,
      breakerCooldownMs: env.ROUTING_BREAKER_COOLDOWN_MS,
      refusedRecheckMs: env.ROUTING_REFUSED_RECHECK_MS,
      fallback: env.ROUTING_FALLBACK,
      countsFlushMs: env.ROUTING_COUNTS_FLUSH_MS,
      countsBatch: env.ROUTING_COUNTS_BATCH,
      countsMaxKeys: env.ROUTING_COUNTS_MAX_KEYS,
    },
    auth: {
      configuredKeys: parseApiKeys(env.API_KEYS),
      callbackSecret: env.CALLBACK_SECRET,
      rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
      rateLimitBurst: env.RATE_LIMIT_BURST,
      failuresPerAddress: env.AUTH_FAILURES_PER_ADDRESS,
      failureWindowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
    },
    console: {
      sessionIdleSeconds: env.CONSOLE_SESSION_IDLE_SECONDS,
      sessionMaxSeconds: Math.max(
        env.CONSOLE_SESSION_MAX_SECONDS,
        env.CONSOLE_SESSION_IDLE_SECONDS,
      ),
      cookieSecure: ({ auto: 'auto', true: 'always', false: 'never' } as const)[
        env.CONSOLE_COOKIE_SECURE
      ],
      mediaOrigins: env.CONSOLE_MEDIA_ORIGINS.split(',').filter(Boolean),
    },
    callbacks: {
      bodyLimitBytes: env.CALLBACK_BODY_LIMIT_BYTES,
      numberHealthEnabled: env.CALLBACK_NUMBER_HEALTH_ENABLED,
    },
    messages: {
      accountUid: env.MNS_ACCOUNT_UID,
      types: [
        ...new Set(
          env.MNS_MESSAGE_TYPES.split(',').filter(Boolean) as AppConfig['messages']['types'],
        ),
      ],
      mnsEndpoint: env.MNS_ENDPOINT,
      dybaseapiEndpoint: env.DYBASEAPI_ENDPOINT,
      waitSeconds: env.MNS_WAIT_SECONDS,
      maxAttempts: env.MNS_MAX_ATTEMPTS,
      consumersPerType: env.MNS_CONSUMERS_PER_TYPE,
      tokenRefreshMs: env.MNS_TOKEN_REFRESH_SECONDS * 1000,
    },
    webhooks: {
      allowPrivateUrls:
        env.WEBHOOKS_ALLOW_PRIVATE_URLS === 'auto'
          ? 'auto'
          : env.WEBHOOKS_ALLOW_PRIVATE_URLS === 'true',
      timeoutMs: env.WEBHOOKS_TIMEOUT_MS,
      retryScheduleMs: env.WEBHOOKS_RETRY_SCHEDULE.split(',').map((s) =>
        Math.round(Number(s) * 1000),
      ),
      dispatchIntervalMs: env.WEBHOOKS_DISPATCH_INTERVAL_MS,
      dispatchIntervalMaxMs: Math.max(
        env.WEBHOOKS_DISPATCH_INTERVAL_MS,
        env.WEBHOOKS_DISPATCH_INTERVAL_MAX_MS,
      ),
      concurrency: env.WEBHOOKS_CONCURRENCY,
      endpointConcurrency: env.WEBHOOKS_ENDPOINT_CONCURRENCY,
      pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS,
      secretOverlapMs: env.WEBHOOKS_SECRET_OVERLAP_SECONDS * 1000,
      workersEnabled: env.WEBHOOKS_WORKERS_ENABLED,
      retentionDays: env.WEBHOOK_RETENTION_DAYS,
      retentionIntervalMs: env.SCHEDULER_WEBHOOK_RETENTION_INTERVAL_MS,
    },
    scheduler: {
      enabled:
        env.SCHEDULER_ENABLED === 'auto'
          ? env.NODE_ENV !== 'test'
          : env.SCHEDULER_ENABLED === 'true',
      expiry: {
        intervalMs: env.SCHEDULER_EXPIRY_INTERVAL_MS,
        batchSize: env.SCHEDULER_EXPIRY_BATCH_SIZE,
        maxBatches: env.SCHEDULER_EXPIRY_MAX_BATCHES,
        workers: env.SCHEDULER_EXPIRY_WORKERS,
      },
      reconcile: {
        intervalMs: env.SCHEDULER_RECONCILE_INTERVAL_MS,
        graceSeconds: env.SCHEDULER_RECONCILE_GRACE_SECONDS,
        batchSize: env.SCHEDULER_RECONCILE_BATCH_SIZE,
        backoffSeconds: env.SCHEDULER_RECONCILE_BACKOFF_SECONDS,
        backoffMaxSeconds: Math.max(
          env.SCHEDULER_RECONCILE_BACKOFF_MAX_SECONDS,
          env.SCHEDULER_RECONCILE_BACKOFF_SECONDS,
        ),
      },
      contactWindows: {
        intervalMs: env.SCHEDULER_CONTACT_WINDOW_INTERVAL_MS,
        batchSize: env.SCHEDULER_CONTACT_WINDOW_BATCH_SIZE,
      },
      history: {
        intervalMs: env.SCHEDULER_HISTORY_INTERVAL_MS,
        retentionDays: env.HISTORY_RETENTION_DAYS,
        aheadMonths: env.HISTORY_PARTITIONS_AHEAD_MONTHS,
      },
      replenish: {
        intervalMs: env.SCHEDULER_REPLENISH_INTERVAL_MS,
        targets: parseReplenishTargets(env.REPLENISH_TARGETS),
        watermarkPairs: env.REPLENISH_WATERMARK_PAIRS,
        targetPairs: Math.max(env.REPLENISH_TARGET_PAIRS, env.REPLENISH_WATERMARK_PAIRS),
        maxPerRun: env.REPLENISH_MAX_PER_RUN,
      },
    },
  };
}

/** `pool:city:spec,...` (already validated by its pattern) as a list. */
function parseReplenishTargets(
  value: string,
): Array<{ poolKey: string; city: string; spec: 1 | 2 | 3 }> {
  return value
    .split(',')
    .filter((t) => t.trim() !== '')
    .map((t) => {
      const [poolKey, city, spec] = t.trim().split(':') as [string, string, string];
      return { poolKey, city, spec: Number(spec) as 1 | 2 | 3 };
    });
}

function parseApiKeys(value: string): AppConfig['auth']['configuredKeys'] {
  if (!value) return [];
  return value.split(',').map((entry) => {
    const [name, roles, key, group] = entry.split(':') as [string, string, string, string?];
    return {
      name,
      roles: roles.split('+') as AppConfig['auth']['configuredKeys'][number]['roles'],
      key,
      ...(group ? { group } : {}),
    };
  });
}
