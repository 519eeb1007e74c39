import { describe, expect, it } from 'vitest';
import {
  generateApiKey,
  hashSecret,
  parseApiKey,
  sameSecret,
  secretMatches,
} from '../../src/auth/api-key.js';
import { TokenBuckets } from '../../src/auth/token-bucket.js';

describe('API keys', () => {
  it('generates keys that parse, whose secret only the stored hash matches', () => {
    const { key, prefix, secretHash } = generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed?.prefix).toBe(prefix);
    expect(secretHash).toBe(hashSecret(parsed!.secret));
    expect(secretHash).not.toContain(parsed!.secret);
    expect(secretMatches(parsed!.secret, secretHash)).toBe(true);
    expect(secretMatches(`${parsed!.secret}x`, secretHash)).toBe(false);
    expect(generateApiKey().key).not.toBe(key);
  });

  it('rejects tokens that are not keys', () => {
    for (const token of [
      '',
      'axb_short_x',
      'Bearer axb_12345678_abcdefghijklmnopqrstuvwxyz',
      'xyz_12345678_abcdefghijklmnopqrstuvwxyz',
    ]) {
      expect(parseApiKey(token)).toBeNull();
    }
  });

  it('compares shared secrets exactly', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cret', 's3cret ')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });
});

describe('TokenBuckets', () => {
  it('allows the burst, then the refill rate, and says how long to wait', () => {
    const buckets = new TokenBuckets(2, 3);
    const t0 = 1_000_000;
    expect([buckets.take('k', t0), buckets.take('k', t0), buckets.take('k', t0)]).toEqual([
      0, 0, 0,
    ]);
    expect(buckets.take('k', t0)).toBe(1);
    expect(buckets.take('k', t0 + 500)).toBe(0); // one token refilled in 0.5 s at 2/s
    expect(buckets.take('k', t0 + 500)).toBeGreaterThan(0);
    expect(buckets.take('other', t0)).toBe(0); // per caller
  });

  it('never holds more than the burst', () => {
    const buckets = new TokenBuckets(100, 2);
    buckets.take('k', 0);
    const later = 60_000;
    expect([buckets.take('k', later), buckets.take('k', later), buckets.take('k', later)]).toEqual([
      0, 0, 1,
    ]);
  });
});
