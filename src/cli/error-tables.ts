import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../common/project-root.js';
import { withErrorTables } from '../openapi/error-tables.js';

/**
 * Rewrites the README's error tables from the code's own (src/common/errors/error-codes.ts,
 * src/provider/provider-failure.ts): `node scripts/run-built.mjs dist/src/cli/error-tables.js`,
 * then `npx prettier --write README.md`. test/unit/error-tables.test.ts fails while they differ.
 */
const path = join(PROJECT_ROOT, 'README.md');
const before = readFileSync(path, 'utf8');
const after = withErrorTables(before);
writeFileSync(path, after);
console.log(
  after === before
    ? 'README error tables: unchanged'
    : 'README error tables rewritten; run `npx prettier --write README.md` to align them',
);
