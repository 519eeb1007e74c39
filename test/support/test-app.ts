import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { bootstrap, type BootstrapOptions } from '../../src/bootstrap.js';
import type { Clock } from '../../src/common/clock/clock.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { GracefulShutdown } from '../../src/runtime/graceful-shutdown.js';
import { createMigratedDatabase } from './scratch-database.js';
import { TEST_AUTH_ENV, TEST_CALLBACK_SECRET, TEST_KEYS } from './test-keys.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  close(): Promise<void>;
}

/**
 * The real bootstrap() pipeline listening on a random loopback port, on a freshly migrated
 * database of its own (dropped on close) unless one is given (several instances, one database).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    clock?: Clock;
    databaseUrl?: string;
    logStream?: DestinationStream;
    extraModules?: BootstrapOptions['extraModules'];
  } = {},
): Promise<TestApp> {
  const own = options.databaseUrl ? undefined : await createMigratedDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: options.databaseUrl ?? own!.url,
    DATABASE_POOL_SIZE: '5',
    MIGRATE_ON_START: 'false',
    PROVIDER_ENDPOINT: 'http://127.0.0.1:9/',
    ...TEST_AUTH_ENV,
    // No rate limit unless a test sets one: the default (200/s a key) would make a test's
    // statuses depend on how fast the machine sends its requests (429s on a quiet one).
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    // Likewise the per-key limit of searches by phone number and the per-address throttle of
    // failed authentications (tests send many of both from 127.0.0.1).
    PHONE_SEARCH_PER_MINUTE: '100000',
    AUTH_FAILURES_PER_ADDRESS: '1000000',
    ...env,
  });
  const app = await bootstrap(config, {
    clock: options.clock,
    logStream: options.logStream,
    extraModules: options.extraModules,
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    url,
    // The service's own shutdown sequence (readiness 503, drain, jobs, then the pools).
    close: async () => {
      await app.get(GracefulShutdown).run('test');
      await own?.drop();
    },
  };
}

/**
 * JSON over real HTTP, with the all-roles test key and the callback secret unless `headers`
 * overrides them (an empty authorization sends no usable key).
 */
export async function http<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const auth = {
    authorization: `Bearer ${TEST_KEYS.all}`,
    'x-callback-secret': TEST_CALLBACK_SECRET,
    ...headers,
  };
  const response = await fetch(url, {
    method,
    headers: body === undefined ? auth : { 'content-type': 'application/json', ...auth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text && response.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : text || undefined) as T,
    headers: response.headers,
  };
}
