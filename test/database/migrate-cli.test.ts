import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../../src/common/project-root.js';
import {
  runMigrations,
  type MigrationEvent,
} from '../../src/prisma/migrations/migration-runner.js';
import { createScratchDatabase } from '../support/scratch-database.js';

/** `npm run migrate` runs this built file (after building when needed). */
const MIGRATE = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'migrate.js');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const folders = async (dir: string) =>
  (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

/** A database holding all migrations but the last `left` (as a database a release behind). */
async function behindBy(left: number): Promise<{ url: string; pending: string[] }> {
  const db = await createScratchDatabase();
  cleanups.push(db.drop);
  const all = await folders(MIGRATIONS_DIR);
  const older = await mkdtemp(join(tmpdir(), 'axb-older-migrations-'));
  cleanups.push(() => rm(older, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, older, { recursive: true });
  const pending = all.slice(-left);
  for (const name of pending) await rm(join(older, name), { recursive: true });
  await runMigrations({ connectionString: db.url, migrationsDir: older });
  return { url: db.url, pending };
}

/** The repeatable definitions beside the migrations, in the order they are applied. */
const definitionFiles = async () =>
  (await readdir(join(MIGRATIONS_DIR, '..', 'sql'))).filter((n) => n.endsWith('.sql')).sort();

describe('migration progress', () => {
  it('the runner tells its plan, then each migration as it starts and once applied', async () => {
    const { url, pending } = await behindBy(2);
    const events: MigrationEvent[] = [];
    await runMigrations({
      connectionString: url,
      migrationsDir: MIGRATIONS_DIR,
      onProgress: (e) => events.push(e),
    });
    const all = await folders(MIGRATIONS_DIR);
    expect(events.map(({ type, ...rest }) => ({ type, ...rest, ms: undefined }))).toEqual([
      { type: 'plan', pending, alreadyApplied: all.length - 2, ms: undefined },
      { type: 'start', name: pending[0], index: 1, of: 2, ms: undefined },
      { type: 'applied', name: pending[0], index: 1, of: 2, ms: undefined },
      { type: 'start', name: pending[1], index: 2, of: 2, ms: undefined },
      { type: 'applied', name: pending[1], index: 2, of: 2, ms: undefined },
      // The older copy had no definitions beside it: all of them are applied afterwards.
      {
        type: 'definitions',
        names: await definitionFiles(),
        changed: await definitionFiles(),
        ms: undefined,
      },
    ]);
    for (const e of events) if (e.type === 'applied') expect(e.ms).toBeGreaterThanOrEqual(0);
  });

  it.skipIf(!existsSync(MIGRATE))(
    'npm run migrate says what it will do, each migration with its time, and a summary',
    async () => {
      const { url, pending } = await behindBy(2);
      const total = (await folders(MIGRATIONS_DIR)).length;
      // A password in the URL (the local server trusts, so any will do; an embedded one has its own).
      const withPassword = new URL(url);
      withPassword.password ||= 'not-shown-password';
      const run = () =>
        spawnSync(process.execPath, [MIGRATE], {
          cwd: tmpdir(),
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: withPassword.toString() },
          timeout: 60_000,
        });
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      const address = `${withPassword.hostname}:${withPassword.port || 5432}${withPassword.pathname}`;
      const lines = first.stdout.trim().split('\n');
      expect(lines[0]).toBe(`Database ${address}: ${total - 2} migration(s) applied, 2 to apply.`);
      expect(lines[1]).toMatch(new RegExp(`^\\[1/2\\] ${pending[0]}: (\\d+ ms|\\d+\\.\\d s)$`));
      expect(lines[2]).toMatch(new RegExp(`^\\[2/2\\] ${pending[1]}: (\\d+ ms|\\d+\\.\\d s)$`));
      expect(lines[3]).toMatch(
        /^Definitions \(prisma\/sql\) applied, all \d+ in name order \(all of them new or changed\) in (\d+ ms|\d+\.\d s)$/,
      );
      expect(lines[4]).toMatch(
        new RegExp(
          `^Applied 2 migration\\(s\\) in .+; ${total} in all, the schema is up to date\\.$`,
        ),
      );
      expect(lines).toHaveLength(5);
      // Not a terminal: no live line drawn (a run this short writes no periodic line either).
      expect(first.stderr).not.toMatch(/[\r\x1b]/); // eslint-disable-line no-control-regex
      expect(first.stdout + first.stderr).not.toContain(`:${withPassword.password}@`);
      expect(first.stdout).not.toContain(withPassword.username);

      const again = run();
      expect(again.stdout.trim().split('\n').at(-1)).toBe(
        `Nothing to apply: the schema is up to date (${total} migration(s)).`,
      );

      // One definition edited since, and one recorded that is gone from the folder: those two
      // are named (all are applied again).
      const files = await definitionFiles();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(
          `UPDATE "_repeatable_definitions" SET checksum = repeat('0', 64) WHERE name = $1`,
          [files[1]],
        );
        await admin.query(
          `INSERT INTO "_repeatable_definitions" (name, checksum) VALUES ('005_gone.sql', repeat('0', 64))`,
        );
      } finally {
        await admin.end();
      }
      const changed = run();
      expect(changed.status, changed.stderr).toBe(0);
      expect(changed.stdout).toMatch(
        new RegExp(
          `^Definitions \\(prisma/sql\\) applied, all ${files.length} in name order ` +
            `\\(changed since last applied: ${files[1]}, 005_gone\\.sql\\) in (\\d+ ms|\\d+\\.\\d s)$`,
          'm',
        ),
      );
    },
  );
});
