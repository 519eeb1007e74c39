/** Options of an embedded simulator, and their defaults. */

export interface SimulatorOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  accessKeyId: string;
  accessKeySecret: string;
  /** Pools (PoolKeys) the account owns. */
  poolKeys: string[];
  /** Pools in strict city mode: ExpectCity never falls back to another city. */
  strictCityPools?: string[];
  /** Generated numbers per spec and city (spec 3 has the single city 全国通用). Default 50. */
  stockPerCity?: number;
  /** Cities of the generated stock for specs 1 and 2. Default 杭州, 北京, 上海, 广州. */
  cities?: string[];
  /** Spec-2 numbers each pool owns per city at start, so binding works out of the box. Default 5. */
  ownedPerCity?: number;
  /** Seed of the generator behind random X choice, SubsIds and call ids. Default 1. */
  seed?: number;
  /** Accepted distance between a request's Timestamp and the real clock. Default 900 s. */
  timestampSkewSeconds?: number;
  /** Waits before each retry of a failed push. Default 1, 5 and 10 minutes, as Alibaba does. */
  callbackRetryDelaysMs?: number[];
  callRecordUrl?: string;
  healthReportUrl?: string;
  /** The account uid in the Alicom queue names (`Alicom-Queue-<uid>-<Type>`). */
  accountUid?: string;
  /** How long a received MNS message stays invisible before redelivery. Default 30 s (MNS's). */
  mnsVisibilityTimeoutMs?: number;
  /** Lifetime of the temporary credentials QueryTokenForMnsQueue hands out. Default 1 hour. */
  mnsTokenTtlMs?: number;
  /** Fastify request logging. Default false. */
  logger?: boolean;
}

export interface RunningSimulator {
  /** Base URL of the Dyplsapi endpoint (the root path), e.g. http://127.0.0.1:7070/ */
  url: string;
  /** Base URL of the control API, e.g. http://127.0.0.1:7070/_sim */
  controlUrl: string;
  /** The MNS endpoint for `@alicloud/mns`'s `endpoint` option, e.g. http://127.0.0.1:7070/mns */
  mnsEndpoint: string;
  /** The account uid of the Alicom queue names. */
  accountUid: string;
  close(): Promise<void>;
}

export const DEFAULT_CITIES = ['杭州', '北京', '上海', '广州'];
export const NATIONWIDE_CITY = '全国通用';

export type ResolvedOptions = Required<
  Omit<SimulatorOptions, 'callRecordUrl' | 'healthReportUrl' | 'host' | 'port' | 'logger'>
> & {
  callRecordUrl: string | undefined;
  healthReportUrl: string | undefined;
};

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  if (!options.accessKeyId || !options.accessKeySecret) {
    throw new Error('simulator: accessKeyId and accessKeySecret are required');
  }
  if (options.poolKeys.length === 0) throw new Error('simulator: at least one pool key is needed');
  return {
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    poolKeys: [...options.poolKeys],
    strictCityPools: [...(options.strictCityPools ?? [])],
    stockPerCity: options.stockPerCity ?? 50,
    cities: options.cities && options.cities.length > 0 ? [...options.cities] : DEFAULT_CITIES,
    ownedPerCity: options.ownedPerCity ?? 5,
    seed: options.seed ?? 1,
    timestampSkewSeconds: options.timestampSkewSeconds ?? 900,
    callbackRetryDelaysMs: [...(options.callbackRetryDelaysMs ?? [60_000, 300_000, 600_000])],
    callRecordUrl: options.callRecordUrl,
    healthReportUrl: options.healthReportUrl,
    accountUid: options.accountUid ?? '1000000000000001',
    mnsVisibilityTimeoutMs: options.mnsVisibilityTimeoutMs ?? 30_000,
    mnsTokenTtlMs: options.mnsTokenTtlMs ?? 3_600_000,
  };
}
