import { describe, expect, it } from 'vitest';
import { formatTimestamp, percentEncode, sign } from '../../src/protocol/signature.js';
import { DOCUMENTED_VECTOR } from '../support/rpc-signature-vector.js';

describe('Alibaba RPC signature', () => {
  it('matches the documented test vector', () => {
    const { params, secret, signature } = DOCUMENTED_VECTOR;
    expect(sign('GET', { ...params }, secret)).toBe(signature);
  });

  it('percent-encodes the characters encodeURIComponent leaves alone', () => {
    expect(percentEncode("a!b'c(d)e*f ~")).toBe('a%21b%27c%28d%29e%2Af%20~');
  });

  it('formats timestamps without milliseconds', () => {
    expect(formatTimestamp(new Date('2026-11-22T12:00:00.123Z'))).toBe('2026-11-22T12:00:00Z');
  });
});
