import { describe, expect, it } from 'vitest';
import { isProxyEntry, parseProxyList } from '../../src/config/proxy-list.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

describe('TRUSTED_PROXIES', () => {
  it('takes addresses, CIDRs and the named ranges Fastify knows', () => {
    for (const entry of ['10.0.0.7', '::1', '10.0.0.0/8', 'fd00::/8', '0.0.0.0/0', 'loopback']) {
      expect(isProxyEntry(entry), entry).toBe(true);
    }
    for (const entry of ['10.0.0', '10.0.0.0/33', '::1/129', 'localhost', '*', '10.0.0.0/8/1']) {
      expect(isProxyEntry(entry), entry).toBe(false);
    }
    expect(parseProxyList(' 10.0.0.1, ,loopback ')).toEqual(['10.0.0.1', 'loopback']);
  });

  it('is empty by default (no forwarded header believed) and names a bad entry', () => {
    expect(loadConfig({}).http.trustedProxies).toEqual([]);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8,127.0.0.1' }).http.trustedProxies).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal' })).toThrow(ConfigError);
  });
});
