import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentWithDotEnv, loadConfig } from '../../src/config/load-config.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('.env', () => {
  it('is read under the environment: the environment wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'axb-env-'));
    dirs.push(dir);
    const file = join(dir, '.env');
    await writeFile(
      file,
      '# comment\nPORT=4100\nLOG_LEVEL=debug\nDEFAULT_CITY="上海"\nDATABASE_URL=\n',
    );
    const merged = environmentWithDotEnv({ LOG_LEVEL: 'warn' }, file);
    const config = loadConfig(merged);
    expect(config.http.port).toBe(4100);
    expect(config.logLevel).toBe('warn');
    expect(config.pools.defaultCity).toBe('上海');
    expect(config.database.url).toBeUndefined();
  });

  it('is optional', () => {
    const env = { PORT: '4200' };
    expect(environmentWithDotEnv(env, '/nonexistent/.env')).toBe(env);
  });
});
