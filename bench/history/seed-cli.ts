/**
 * `npm run seed:history -- --bindings N`: fills DATABASE_URL's record (or the embedded Postgres
 * of `npm start`) with N ended bindings over six months, their events, calls, call progress and
 * routed counters, with COPY (bench/history/seed-history.ts). Options: `--months 6`,
 * `--aged-share 0.2` (the oldest share written aged: masked numbers and their HMAC under
 * PHONE_HASH_SECRET, which must be the service's for searches to find them; aged_at
 * PHONE_MASK_AFTER_DAYS after the end), `--seed 1`, `--pool FCHISTORY`. Progress on
 * stderr while it runs; a summary of rows, times and size at the end (stdout).
 */
import { parseArgs } from 'node:util';
import { cliDatabase } from '../../src/cli/cli-database.js';
import { formatDuration } from '../../src/common/progress/progress.js';
import { loadConfig } from '../../src/config/load-config.js';
import { databaseAddress } from '../../src/prisma/database-address.js';
import { agedNumbers } from './aged-numbers.js';
import { seedHistory } from './seed-history.js';
import { seedSummaryLines } from './seed-summary.js';

/** The hash key when PHONE_HASH_SECRET is unset: a development database only. */
const DEV_HASH_SECRET = 'seed-history-development-only-secret';

function number(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${name} must be a number in ${min}..${max} (got ${raw})`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bindings: { type: 'string' },
      months: { type: 'string', default: '6' },
      'aged-share': { type: 'string', default: '0.2' },
      seed: { type: 'string', default: '1' },
      pool: { type: 'string', default: 'FCHISTORY' },
    },
    strict: true,
  });
  if (values.bindings === undefined) throw new Error('--bindings N is required');
  const bindings = Math.floor(number('bindings', values.bindings, 1, 1_000_000_000));
  const db = await cliDatabase(loadConfig());
  try {
    console.log(`Seeding ${bindings} ended bindings into ${databaseAddress(db.url)}.`);
    const summary = await seedHistory(
      db.url,
      {
        bindings,
        months: number('months', values.months, 1, 24),
        endMs: Date.now() - 600_000,
        seed: Math.floor(number('seed', values.seed, 0, 2 ** 31)),
        poolKey: values.pool,
        agedShare: number('aged-share', values['aged-share'], 0, 1),
      },
      {
        progress: true,
        aged: agedNumbers(
          process.env.PHONE_HASH_SECRET ?? DEV_HASH_SECRET,
          Number(process.env.PHONE_MASK_AFTER_DAYS ?? 30),
        ),
      },
    );
    for (const line of seedSummaryLines(summary)) console.log(line);
    console.log(`Done in ${formatDuration(summary.totalMs)}.`);
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
