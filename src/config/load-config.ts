import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { AppConfig } from './app-config.js';
import { Environment } from './environment.js';

/** Thrown when settings are invalid; the message names every bad key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const shown = typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value);
    const reasons = Object.values(e.constraints ?? {}).join('; ');
    return `${e.property}=${shown}: ${reasons}`;
  });
}

/**
 * Validates the environment once and returns the typed configuration. The only place in the
 * service that reads process.env (by default); tests pass their own map instead.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new Environment());
  const raw: Record<string, string> = {};
  for (const key of [...known, 'DATABASE_URL', 'PROVIDER_ENDPOINT']) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(describe(errors));

  return {
    env: env.NODE_ENV as AppConfig['env'],
    http: { host: env.HOST, port: env.PORT },
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
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
      embeddedSimulatorPort: env.EMBEDDED_SIMULATOR_PORT,
    },
    pools: {
      defaultPoolKey: env.DEFAULT_POOL_KEY,
      defaultCity: env.DEFAULT_CITY,
      maxPairsPerX: env.X_MAX_PAIRS,
    },
    bindings: {
      maxTtlSeconds: env.BINDING_MAX_TTL_SECONDS,
      maxBindAttempts: env.BIND_MAX_ATTEMPTS,
    },
  };
}
