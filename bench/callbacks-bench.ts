/**
 * Provider pushes: how long the service takes to answer one push of 1,000 (and 6,500) SecretReport
 * records, through the real bootstrap() over HTTP on 127.0.0.1, against a baseline measured in
 * the same run: the same 1,000 records written one statement per record (the shape before
 * batching, which took 12-19 s for 6,500). Each run pushes fresh call ids, linked by sub_id to
 * 2,000 seeded bindings. Target: a 1,000-record push answered in < 300 ms.
 *
 *   npm run build && node dist/bench/callbacks-bench.js
 *   (DATABASE_URL optional: unset, an embedded Postgres is used; RUNS=5, DEADLINE_S=300)
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { formatProviderDate } from '../src/protocol/provider-dates.js';
import { CallRecordsRepository } from '../src/routing/callbacks/call-records.repository.js';
import { parseCallRecord } from '../src/routing/callbacks/call-record.parser.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { benchServiceSettings } from './support/bench-service-settings.js';
import { median, printTable } from './support/load.js';

const RUNS = Number(process.env.RUNS ?? 5);
const DEADLINE_S = Number(process.env.DEADLINE_S ?? 300);
const POOL_KEY = 'FCCALLBACKBENCH';
const BINDINGS = 2000;
const SECRET = 'bench-callback-secret';

let serial = 0;
function records(count: number): Array<Record<string, unknown>> {
  const at = formatProviderDate(new Date(Date.now() - 60_000));
  return Array.from({ length: count }, () => {
    serial += 1;
    const g = (serial % BINDINGS) + 1;
    return {
      id: 3_000_000 + serial,
      call_id: `bench-${process.pid}-${serial.toString(36)}`,
      sub_id: 1_000_000_000_000_000 + g,
      pool_key: POOL_KEY,
      partner_key: POOL_KEY,
      phone_no: `138${String(g).padStart(8, '0')}`,
      peer_no: `139${String(g).padStart(8, '0')}`,
      secret_no: `130${String(Math.floor(g / 200)).padStart(8, '0')}`,
      called_display_no: `130${String(Math.floor(g / 200)).padStart(8, '0')}`,
      city: '杭州',
      call_type: serial % 2,
      call_time: at,
      call_out_time: at,
      ring_time: at,
      free_ring_time: at,
      start_time: at,
      release_time: at,
      release_dir: 1,
      release_cause: 16,
      unconnected_cause: 0,
      control_type: 'CONTINUE',
      control_msg: 'OK',
      out_id: `order-${g}`,
      record_url: '',
      ring_record_url: '',
    };
  });
}

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL_KEY]);
  await client.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                           expires_at)
     SELECT gen_random_uuid(), $1, 'order-' || g, '138' || lpad(g::text, 8, '0'),
            '139' || lpad(g::text, 8, '0'), '130' || lpad((g / 200)::text, 8, '0'),
            (1000000000000000 + g)::text, '杭州', 'active', now() + interval '1 day'
       FROM generate_series(1, $2::int) g`,
    [POOL_KEY, BINDINGS],
  );
  await client.query('VACUUM ANALYZE bindings');
  await client.end();
}

async function push(url: string, body: unknown[]): Promise<number> {
  const text = JSON.stringify(body);
  const started = performance.now();
  const res = await fetch(`${url}/v1/callbacks/call-records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-callback-secret': SECRET, ...BENCH_AUTH },
    body: text,
  });
  const answer = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`push answered ${res.status}: ${answer.slice(0, 200)}`);
  return ms;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`callbacks bench: gave up after ${DEADLINE_S} s`);
    process.exit(2);
  }, DEADLINE_S * 1000);
  deadline.unref();

  const db = await createBenchDatabase('callbacks');
  await seed(db.url);
  const config = loadConfig({
    ...benchServiceSettings({
      databaseUrl: db.url,
      providerUrl: 'http://127.0.0.1:9/',
      poolKey: POOL_KEY,
    }),
    CALLBACK_SECRET: SECRET,
  });
  const app = await bootstrap(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const repository = app.get(CallRecordsRepository);
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  const count = async () =>
    Number((await check.query('SELECT count(*) FROM call_records')).rows[0].count);

  try {
    await push(url, records(100)); // warm-up: connections, JIT, plans
    const rows: Array<Record<string, string | number>> = [];
    const measure = async (label: string, runs: number, once: () => Promise<number>) => {
      const times: number[] = [];
      for (let run = 0; run < runs; run += 1) times.push(await once());
      rows.push({
        what: label,
        runs,
        'median ms': median(times),
        'min ms': Math.min(...times),
        'max ms': Math.max(...times),
      });
      return median(times);
    };
    const before = await count();
    const batched = await measure('push of 1,000 records (HTTP, batched)', RUNS, () =>
      push(url, records(1000)),
    );
    await measure('push of 6,500 records (HTTP, batched)', Math.max(1, Math.ceil(RUNS / 2)), () =>
      push(url, records(6500)),
    );
    await measure('1,000 records, one batched statement (no HTTP)', RUNS, async () => {
      const receivedAt = new Date();
      const parsed = records(1000).map((r) => parseCallRecord(r, receivedAt));
      const started = performance.now();
      await repository.storeBatch(
        parsed.flatMap((p) => (p.ok ? [p.value] : [])),
        receivedAt,
      );
      return performance.now() - started;
    });
    const baseline = await measure(
      'baseline: 1,000 records, one statement each',
      Math.max(1, Math.ceil(RUNS / 2)),
      async () => {
        const receivedAt = new Date();
        const parsed = records(1000).map((r) => parseCallRecord(r, receivedAt));
        const started = performance.now();
        for (const p of parsed) if (p.ok) await repository.storeBatch([p.value], receivedAt);
        return performance.now() - started;
      },
    );
    const stored = (await count()) - before;
    printTable(
      `Provider pushes (SecretReport), ${RUNS} runs; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (shared machine: compare the ratio)`,
      rows,
    );
    console.log(
      `\nbatched 1,000-record push = ${(baseline / batched).toFixed(1)}x faster than one statement ` +
        `per record; ${stored} records stored; target < 300 ms: ${batched < 300 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await check.end();
    await app.close();
    await db.drop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
