import type { SimulatorOptions } from './options.js';

/**
 * Settings of the standalone simulator (`npm run simulator`), read from the environment. The only
 * place in simulator/ that reads process.env. Invalid values fail naming the variable.
 */
export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  const list = (name: string, fallback: string[]): string[] => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    }
    return value;
  };
  const url = (name: string): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
    }
    return raw;
  };
  const text = (name: string, fallback: string): string => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  };

  const poolKeys = list('SIMULATOR_POOL_KEYS', ['FC100000000000001']);
  const strictCityPools = list('SIMULATOR_STRICT_CITY_POOLS', []);
  const unknown = strictCityPools.filter((p) => !poolKeys.includes(p));
  if (unknown.length > 0) {
    throw new Error(
      `SIMULATOR_STRICT_CITY_POOLS names pools missing from SIMULATOR_POOL_KEYS: ${unknown.join(', ')}`,
    );
  }
  return {
    host: text('SIMULATOR_HOST', '127.0.0.1'),
    port: integer('SIMULATOR_PORT', 7070, 0, 65535),
    accessKeyId: text('SIMULATOR_ACCESS_KEY_ID', 'sim-access-key-id'),
    accessKeySecret: text('SIMULATOR_ACCESS_KEY_SECRET', 'sim-access-key-secret'),
    poolKeys,
    strictCityPools,
    stockPerCity: integer('SIMULATOR_STOCK_PER_CITY', 50, 1, 100_000),
    ownedPerCity: integer('SIMULATOR_OWNED_PER_CITY', 5, 0, 100_000),
    callRecordUrl: url('SIMULATOR_CALL_RECORD_URL'),
    healthReportUrl: url('SIMULATOR_HEALTH_REPORT_URL'),
    accountUid: text('SIMULATOR_ACCOUNT_UID', '1000000000000001'),
    mnsVisibilityTimeoutMs: integer('SIMULATOR_MNS_VISIBILITY_TIMEOUT_MS', 30_000, 1, 43_200_000),
    logger: text('SIMULATOR_LOG', 'false') === 'true',
  };
}
