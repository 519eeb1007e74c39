import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/api-key.js';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { TestClock } from '../support/test-clock.js';

/** A key store whose reads the test answers when it chooses. */
class HeldKeys {
  reads: Array<() => void> = [];
  constructor(private readonly secretHash: string) {}
  findLiveByPrefix(): Promise<unknown> {
    return new Promise((resolve) =>
      this.reads.push(() =>
        resolve({ name: 'app', roles: ['routing'], group: null, secretHash: this.secretHash }),
      ),
    );
  }
}

describe('API keys missing from the 30 s cache', () => {
  it('are checked once for the requests carrying them together, then again after the cache', async () => {
    const { key, secretHash } = generateApiKey();
    const keys = new HeldKeys(secretHash);
    const clock = new TestClock();
    const service = new ApiKeysService({} as AppConfig, keys as never, clock);

    const together = Array.from({ length: 5 }, () => service.authenticate(key));
    await Promise.resolve();
    expect(keys.reads).toHaveLength(1);
    keys.reads[0]!();
    for (const principal of await Promise.all(together))
      expect(principal).toMatchObject({ name: 'app', roles: ['routing'] });

    // Cached: nothing read.
    expect(await service.authenticate(key)).toMatchObject({ name: 'app' });
    expect(keys.reads).toHaveLength(1);

    // Past the cache, read again (the shared read is not kept beyond its answer).
    clock.advance(30_001);
    const again = service.authenticate(key);
    await Promise.resolve();
    expect(keys.reads).toHaveLength(2);
    keys.reads[1]!();
    expect(await again).toMatchObject({ name: 'app' });
  });
});
