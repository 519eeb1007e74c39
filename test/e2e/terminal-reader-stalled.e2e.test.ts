import { afterAll, beforeAll, expect, it } from 'vitest';
import { exited, freePort, startService } from '../../bench/support/child-service.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { TEST_AUTH_ENV } from '../support/test-keys.js';
import { until } from '../support/until.js';

/**
 * The service logs one line per request to stdout. Node writes to a terminal synchronously, so a
 * terminal that fell behind (scrolling, a selection held, a slow SSH link) used to stop the whole
 * process at the write once the terminal's buffer was full. Here the service runs on a terminal
 * (`script`, as a newcomer's `npm start`) whose reader stops reading altogether while the service
 * answers far more than the terminal holds: every request is answered all the same, and once the
 * reader reads again every line arrives.
 */
// ~250 bytes of log each: 300 KB, more than the terminal, `script` and the pipe to us hold (~130 KB).
const REQUESTS = 1_200;
let db: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  db = await createMigratedDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('answers while nobody reads its terminal, and writes every line once someone does', async () => {
  let text = '';
  // On a terminal of its own (`script`'s pseudo-terminal), as a newcomer's `npm start` runs.
  const { child, url } = await startService(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'false',
      PROVIDER_ENDPOINT: 'http://127.0.0.1:9/',
      ...TEST_AUTH_ENV,
    },
    (line) => (text += `${line}\n`),
    60_000,
    { terminal: true },
  );
  try {
    // The reader stops (`script` stops reading the terminal once its own output is not read):
    // the terminal's buffer fills and stays full.
    child.stdout!.pause();
    const paths = Array.from({ length: REQUESTS }, (_, i) => `${url}/no-such-route-${i}`);
    const statuses: number[] = [];
    for (let i = 0; i < paths.length; i += 50) {
      const batch = paths.slice(i, i + 50).map(async (path) => {
        const res = await fetch(path, { signal: AbortSignal.timeout(20_000) });
        await res.arrayBuffer();
        return res.status;
      });
      statuses.push(...(await Promise.all(batch)));
    }
    expect(statuses).toEqual(paths.map(() => 404));

    // Reading again, every request's line arrives.
    child.stdout!.resume();
    const logged = () => (text.match(/"url":"\/no-such-route-\d+"/g) ?? []).length;
    expect(
      await until(
        async () => logged(),
        (n) => n >= REQUESTS,
        'every request line',
        { tries: 600, everyMs: 50 },
      ),
    ).toBe(REQUESTS);
  } finally {
    child.stdout!.resume();
    child.kill('SIGTERM');
    await exited(child);
  }
}, 120_000);
