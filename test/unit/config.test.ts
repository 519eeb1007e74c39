import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

describe('loadConfig', () => {
  it('applies documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.provider.endpoint).toBeUndefined();
  });

  it('converts numbers and booleans', () => {
    const config = loadConfig({ PORT: '8080', MIGRATE_ON_START: 'false', DATABASE_POOL_SIZE: '4' });
    expect(config.http.port).toBe(8080);
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.database.poolSize).toBe(4);
  });

  it('names every bad key at once', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', MIGRATE_ON_START: 'maybe', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.map((p) => p.split('=')[0]);
    expect(problems.sort()).toEqual(['DATABASE_URL', 'MIGRATE_ON_START', 'PORT']);
    expect((caught as ConfigError).message).toContain('PORT="eighty"');
  });
});
