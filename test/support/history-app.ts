import pg from 'pg';
import { HistoryJob } from '../../src/scheduler/history.job.js';
import type { JobCounts } from '../../src/scheduler/scheduled-job.js';
import { createMigratedDatabase } from './scratch-database.js';
import { startTestSimulator, type TestSimulator } from './simulator.js';
import type { TestClock } from './test-clock.js';
import { startTestApp, type TestApp } from './test-app.js';

/** A service on a database of its own with a 30-day retention and 2 months made ahead. */
export interface HistoryApp {
  sim: TestSimulator;
  app: TestApp;
  /** A plain connection to the service's database. */
  sql: pg.Client;
  url: string;
  /** One pass of the history job, as the scheduler runs it. */
  runJob: () => Promise<JobCounts>;
  close: () => Promise<void>;
}

/** Starts the simulator (with `poolKey`) and the service on `clock` for the history tests. */
export async function startHistoryApp(poolKey: string, clock: TestClock): Promise<HistoryApp> {
  const sim = await startTestSimulator({ poolKeys: [poolKey], ownedPerCity: 0 });
  const db = await createMigratedDatabase();
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const app = await startTestApp(
    { ...sim.env, HISTORY_RETENTION_DAYS: '30', HISTORY_PARTITIONS_AHEAD_MONTHS: '2' },
    { clock, databaseUrl: db.url },
  );
  return {
    sim,
    app,
    sql,
    url: db.url,
    runJob: () => app.app.get(HistoryJob).run(),
    close: async () => {
      await app.close();
      await sql.end();
      await db.drop();
      await sim.close();
    },
  };
}
