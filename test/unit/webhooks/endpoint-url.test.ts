import { describe, expect, it } from 'vitest';
import {
  endpointUrlProblem,
  isInternalAddress,
} from '../../../src/webhooks/endpoint-url.policy.js';
import { orderedUuid } from '../../../src/webhooks/ordered-uuid.js';

const resolveTo = (addresses: string[]) => async () => addresses;

describe('webhook endpoint URLs', () => {
  it('takes only absolute http(s) URLs without credentials', async () => {
    for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'example.com/x', '', 42])
      expect(await endpointUrlProblem(url, true)).not.toBeNull();
    expect(await endpointUrlProblem('https://u:p@example.com/', true)).toMatch(/user name/);
    expect(await endpointUrlProblem('http://127.0.0.1:3000/hook', true)).toBeNull();
  });

  it('refuses private, loopback and link-local addresses unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://localhost:8080/',
      'http://10.1.2.3/',
      'http://192.168.0.10/',
      'http://172.20.0.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
    ])
      expect(await endpointUrlProblem(url, false), url).toMatch(/loopback|private/);
    // A public name that resolves to a private address is refused too (SSRF by DNS).
    expect(
      await endpointUrlProblem('https://hooks.example.com/', false, resolveTo(['10.0.0.5'])),
    ).toMatch(/private/);
    expect(
      await endpointUrlProblem('https://hooks.example.com/', false, resolveTo(['93.184.216.34'])),
    ).toBeNull();
    expect(isInternalAddress('8.8.8.8')).toBe(false);
  });

  it('orders delivery ids as they are made (pg-boss breaks created_on ties by id)', () => {
    const ids = Array.from({ length: 5000 }, () => orderedUuid(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
