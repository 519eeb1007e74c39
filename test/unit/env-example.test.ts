import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/common/project-root.js';
import { Environment } from '../../src/config/environment.js';
import { loadConfig } from '../../src/config/load-config.js';

function parseEnvFile(path: string): Record<string, string> {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z0-9_]+=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

describe('.env.example', () => {
  const documented = parseEnvFile(join(PROJECT_ROOT, '.env.example'));

  it('documents every setting the service reads', () => {
    const read = [...Object.keys(new Environment()), 'DATABASE_URL', 'PROVIDER_ENDPOINT'];
    for (const key of read) expect(Object.keys(documented), key).toContain(key);
  });

  it('holds values that pass validation as they are', () => {
    expect(() => loadConfig(documented)).not.toThrow();
  });
});
