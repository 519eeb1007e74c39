/**
 * Webhooks benchmark (issue 24): what events to subscribers cost and how fast they arrive.
 *   1. Event lag, commit → receiver: events committed at a fixed RATE (binding_events rows in
 *      transactions of RATE/100, every 10 ms, on BINDINGS bindings: the outbox trigger is the real
 *      one), delivered by the service (dispatcher, pg-boss, signed POST) to a receiver in this
 *      process; lag = arrival − the commit's return, same clock. p50/p99 per run (target p99 < 1 s).
 *   2. Bind rate with 3 subscribed endpoints (every event type) against none, closed loop at
 *      CONCURRENCY through POST /v1/bindings, the order alternating per run (target: within 10 %).
 * One process: Postgres (DATABASE_URL's server, else embedded), the simulator on a worker thread,
 * the service through the real bootstrap() on the main thread, the bind load on a worker thread.
 *
 *   npm run build && node dist/bench/webhooks-bench.js
 *   RUNS=3 RATE=500 SECONDS=6 BINDINGS=500 BINDS=1500 CONCURRENCY=16 DATABASE_URL=… (optional);
 *   WEBHOOKS_* settings (WEBHOOKS_CONCURRENCY=…) are passed to the service
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-event-types.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_API_KEYS, BENCH_AUTH, BENCH_RATE_LIMIT } from './support/bench-key.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from './support/simulator-thread.js';

const RUNS = intSetting('RUNS', 3, 1, 10);
const RATE = intSetting('RATE', 500, 100, 5000);
const SECONDS = intSetting('SECONDS', 6, 1, 60);
const BINDINGS = intSetting('BINDINGS', 500, 1, 100_000);
const BINDS = intSetting('BINDS', 1500, 100, 20_000);
const CONCURRENCY = intSetting('CONCURRENCY', 16, 1, 256);
const NUMBERS = 20;
const POOL = 'BENCHHOOK';
const KEY = { accessKeyId: 'bench-id', accessKeySecret: 'bench-secret' };
const DRAIN_DEADLINE_MS = 60_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** NaN for an empty list (a run whose events did not arrive before the drain deadline). */
const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

async function main(): Promise<void> {
  const db = await createBenchDatabase('webhooks');
  const sim = await startSimulatorThread({
    ...KEY,
    poolKeys: [POOL],
    ownedPerCity: 0,
    stockPerCity: NUMBERS * (2 * RUNS + 2),
  });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '10',
    MIGRATE_ON_START: 'false',
    SCHEDULER_ENABLED: 'false',
    PROVIDER_ENDPOINT: sim.url,
    PROVIDER_ACCESS_KEY_ID: KEY.accessKeyId,
    PROVIDER_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    PROVIDER_CONNECTIONS: '64',
    DEFAULT_POOL_KEY: POOL,
    API_KEYS: BENCH_API_KEYS,
    RATE_LIMIT_PER_SECOND: BENCH_RATE_LIMIT,
    RATE_LIMIT_BURST: BENCH_RATE_LIMIT,
    WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    // Delivery settings to try (WEBHOOKS_CONCURRENCY=…), else the defaults.
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => k.startsWith('WEBHOOKS_') && v !== undefined),
    ),
  });
  const app = await bootstrap(config);
  await app.listen(0, '127.0.0.1');
  const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...BENCH_AUTH },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  // The receiver: notes when each event (by its tag) arrived.
  const arrivals = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const change = (JSON.parse(body) as { data?: { change?: string[] } }).data?.change?.[0];
      if (change && !arrivals.has(change)) arrivals.set(change, performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;

  // ─── 1. event lag ─────────────────────────────────────────────────────────────────────────
  await sql.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [POOL]);
  await sql.query(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at, ended_at)
     SELECT gen_random_uuid(), $1, 'lag-' || i, '137' || lpad(i::text, 8, '0'),
            '139' || lpad(i::text, 8, '0'), 'expired', now(), now()
       FROM generate_series(1, $2) i`,
    [POOL, BINDINGS],
  );
  const bindingIds = (
    await sql.query<{ id: string }>(`SELECT id FROM bindings WHERE out_id LIKE 'lag-%'`)
  ).rows.map((r) => r.id);
  const lagEndpoint = await api('POST', '/v1/webhooks/endpoints', {
    url: receiverUrl,
    events: ['binding.changed'],
  });
  const producer = new pg.Client({ connectionString: db.url });
  await producer.connect();
  const lagRuns: Array<{ p50: number; p99: number; max: number; delivered: string }> = [];
  let seq = 0;
  for (let run = 1; run <= RUNS; run += 1) {
    const perTick = Math.max(1, Math.round(RATE / 100));
    const ticks = Math.round((RATE * SECONDS) / perTick);
    const committed = new Map<string, number>();
    const started = performance.now();
    for (let t = 0; t < ticks; t += 1) {
      const due = started + t * 10;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const tags: string[] = [];
      const values: string[] = [];
      for (let k = 0; k < perTick; k += 1) {
        seq += 1;
        const tag = `n${seq}`;
        tags.push(tag);
        values.push(bindingIds[seq % bindingIds.length]!);
      }
      await producer.query(
        `INSERT INTO binding_events (binding_id, kind, actor, details)
         SELECT b, 'updated', 'bench', jsonb_build_object('changed', jsonb_build_object(t, 1))
           FROM unnest($1::uuid[], $2::text[]) AS x(b, t)`,
        [values, tags],
      );
      const at = performance.now();
      for (const tag of tags) committed.set(tag, at);
    }
    const deadline = performance.now() + DRAIN_DEADLINE_MS;
    while (performance.now() < deadline && [...committed.keys()].some((k) => !arrivals.has(k)))
      await sleep(50);
    const lags = [...committed]
      .filter(([k]) => arrivals.has(k))
      .map(([k, at]) => arrivals.get(k)! - at)
      .sort((a, b) => a - b);
    lagRuns.push({
      p50: quantile(lags, 0.5),
      p99: quantile(lags, 0.99),
      max: lags[lags.length - 1] ?? NaN,
      delivered: `${lags.length}/${committed.size}`,
    });
    console.error(`lag run ${run}: ${JSON.stringify(lagRuns[lagRuns.length - 1])}`);
    // The next run starts on an empty queue: what this one left undelivered is cleared.
    await sql.query(`UPDATE webhook_deliveries SET status = 'dead' WHERE status = 'pending'`);
    await sql.query(
      `DELETE FROM pgboss.job WHERE name = 'webhook-deliveries' AND state < 'completed'`,
    );
  }
  await api('DELETE', `/v1/webhooks/endpoints/${String(lagEndpoint.id)}`);
  await producer.end();

  // ─── 2. bind rate, 3 endpoints against none ─────────────────────────────────────────────────
  let tag = 0;
  const bindPhase = async (endpoints: number): Promise<number> => {
    tag += 1;
    const made: string[] = [];
    for (let i = 0; i < endpoints; i += 1)
      made.push(
        String(
          (
            await api('POST', '/v1/webhooks/endpoints', {
              url: receiverUrl,
              events: [...WEBHOOK_EVENT_TYPES],
            })
          ).id,
        ),
      );
    await api('POST', `/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: NUMBERS });
    const bodies = Array.from({ length: BINDS }, (_, i) =>
      JSON.stringify({
        outId: `rate-${tag}-${i}`,
        phoneA: `136${String(tag * 100_000 + i).padStart(8, '0')}`,
        phoneB: `135${String(tag * 100_000 + i).padStart(8, '0')}`,
        ttlSeconds: 3600,
      }),
    );
    const summary = await runLoad({
      kind: 'saturate',
      target: { origin, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
      options: { connections: CONCURRENCY, durationMs: 120_000, maxRequests: BINDS },
    });
    // End the phase's bindings (frees X) and its endpoints.
    await sql.query(
      `UPDATE bindings SET state = 'expired', ended_at = now() WHERE out_id LIKE $1`,
      [`rate-${tag}-%`],
    );
    for (const id of made) await api('DELETE', `/v1/webhooks/endpoints/${id}`);
    if (summary.ok < BINDS * 0.99) throw new Error(`binds: ${JSON.stringify(summary.statuses)}`);
    return summary.perSecond;
  };
  const rates: Record<'none' | 'three', number[]> = { none: [], three: [] };
  for (let run = 1; run <= RUNS; run += 1) {
    const order: Array<'none' | 'three'> = run % 2 ? ['none', 'three'] : ['three', 'none'];
    for (const which of order) {
      const perSecond = await bindPhase(which === 'none' ? 0 : 3);
      rates[which].push(perSecond);
      console.error(`bind run ${run}, ${which}: ${perSecond.toFixed(0)}/s`);
    }
  }

  const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'n/a');
  console.log(`\nWebhooks benchmark (RUNS=${RUNS}, medians of runs)\n`);
  console.log(`| event lag at ${RATE} events/s, ${SECONDS} s | p50 | p99 | max | delivered |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const [i, r] of lagRuns.entries())
    console.log(
      `| run ${i + 1} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.delivered} |`,
    );
  console.log(
    `| **median** | **${fmt(median(lagRuns.map((r) => r.p50)))}** | **${fmt(median(lagRuns.map((r) => r.p99)))}** (target < 1000 ms) | ${fmt(median(lagRuns.map((r) => r.max)))} | |`,
  );
  const none = median(rates.none);
  const three = median(rates.three);
  console.log(`\n| binds/s at ${CONCURRENCY} concurrent, ${BINDS} binds | runs | median |`);
  console.log('| --- | --- | --- |');
  console.log(
    `| no endpoint | ${rates.none.map((r) => r.toFixed(0)).join(', ')} | ${none.toFixed(0)} |`,
  );
  console.log(
    `| 3 endpoints, every event type | ${rates.three.map((r) => r.toFixed(0)).join(', ')} | ${three.toFixed(0)} |`,
  );
  console.log(`| **ratio** | | **${(three / none).toFixed(3)}** (target ≥ 0.90) |`);

  receiver.close();
  await sql.end();
  await app.close();
  await sim.stop();
  await db.drop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
