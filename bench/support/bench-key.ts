import { generateApiKey } from '../../src/auth/api-key.js';

/** One all-roles API key per benchmark run: set through API_KEYS, sent as a bearer token. */
const { key } = generateApiKey();

export const BENCH_API_KEYS = `bench:order+routing+admin+provider:${key}`;
export const BENCH_AUTH = { authorization: `Bearer ${key}` };
/** The key itself, for helpers that take one (bench/support/order-book.ts). */
export const BENCH_KEY = key;

/** Benchmarks measure the service, not the per-key rate limit. */
const BENCH_RATE_LIMIT = '100000000';

/** A service's settings for the bench key: every role, and no per-key rate limit. */
export const BENCH_KEY_SETTINGS = {
  API_KEYS: BENCH_API_KEYS,
  RATE_LIMIT_PER_SECOND: BENCH_RATE_LIMIT,
  RATE_LIMIT_BURST: BENCH_RATE_LIMIT,
};
