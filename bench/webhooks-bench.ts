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
 *   RUNS=4 RATE=500 SECONDS=6 BINDINGS=500 BINDS=1500 WARMUP_BINDS=300 CONCURRENCY=16
 *   DATABASE_URL=… (optional);
 *   WEBHOOKS_* settings (WEBHOOKS_CONCURRENCY=…) are passed to the service
 */
import { readdir } from 'node:fs/promises';
import { fork } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-event-types.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { benchServiceSettings } from './support/bench-service-settings.js';
import { busyShare, cpuMsOf, machineTicks } from './support/cpu-meter.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

// Even by default: the bind phases' order alternates per run, and phases slow down across an
// invocation, so an odd count favours the side that goes first in most runs.
const RUNS = intSetting('RUNS', 4, 1, 10);
const RATE = intSetting('RATE', 500, 100, 5000);
const SECONDS = intSetting('SECONDS', 6, 1, 60);
const BINDINGS = intSetting('BINDINGS', 500, 1, 100_000);
const BINDS = intSetting('BINDS', 1500, 100, 20_000);
/** Binds of each side's unmeasured warm-up phase before run 1 (0: none). */
const WARMUP_BINDS = intSetting('WARMUP_BINDS', 300, 0, 5_000);
/** Bind phases, each on a pool of its own: two a run, and the two warm-ups. */
const BIND_PHASES = 2 * RUNS + (WARMUP_BINDS > 0 ? 2 : 0);
const CONCURRENCY = intSetting('CONCURRENCY', 16, 1, 256);
const NUMBERS = 20;
const POOL = 'BENCHHOOK';
/**
 * Each bind phase binds on a pool of its own (its NUMBERS numbers, bought for it): the earlier
 * phases' numbers stay bound at the simulator, and on one pool the phases' claims ranked ever
 * more numbers (20 more a phase), so each phase ran slower than the last (858, 711, 587/s) and
 * the phase that went second in most runs (RUNS odd) was measured against a slower pool.
 */
const phasePool = (tag: number) => `${POOL}${tag}`;
const KEY = { accessKeyId: 'bench-id', accessKeySecret: 'bench-secret' };
const DRAIN_DEADLINE_MS = 60_000;
/** Which parts to run: `lag`, `bind` (both by default). */
const PHASES = new Set((process.env.PHASES ?? 'lag,bind').split(','));
/** Samples the webhook sessions' running statements during the bind phases (profiling only). */
const SAMPLE = process.env.SAMPLE === '1';

/**
 * CPU ms so far of this process's threads (main: the service; others: the simulator and load
 * workers), of the receivers' process, and of each Postgres backend serving the database, by key
 * `<part>|<pid>` (a backend that ended in between is missing from the difference: undercounted).
 */
async function cpuByPart(sql: pg.Client, receiverPid: number): Promise<Map<string, number>> {
  const ticks = (path: string) => cpuMsOf(path).catch(() => 0);
  const parts = new Map<string, number>();
  for (const tid of await readdir('/proc/self/task'))
    parts.set(
      `${Number(tid) === process.pid ? 'node main' : 'node other threads'}|${tid}`,
      await ticks(`/proc/self/task/${tid}/stat`),
    );
  parts.set(`receiver process|${receiverPid}`, await ticks(`/proc/${receiverPid}/stat`));
  const { rows } = await sql.query<{ pid: number; app: string }>(
    `SELECT pid, coalesce(nullif(application_name, ''), backend_type) AS app FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  for (const r of rows)
    parts.set(
      `pg ${r.app.replace(/-[0-9a-f]{8}$/, '')}|${r.pid}`,
      await ticks(`/proc/${r.pid}/stat`),
    );
  return parts;
}

/** µs per bind (or per event) by part between two readings. */
function cpuPerBind(before: Map<string, number>, after: Map<string, number>, binds: number) {
  const sums: Record<string, number> = {};
  for (const [key, ms] of after) {
    const part = key.slice(0, key.indexOf('|'));
    sums[part] = (sums[part] ?? 0) + ms - (before.get(key) ?? 0);
  }
  const perBind = Object.fromEntries(
    Object.keys(sums)
      .sort()
      .map((k) => [k, Math.round((sums[k]! * 1000) / binds)]),
  );
  return { perBind, total: Object.values(perBind).reduce((x, y) => x + y, 0) };
}

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
  // Dropped whatever happens (a failed phase exits the process: the database would stay).
  try {
    await measure(db);
  } finally {
    await db.drop();
  }
}

/** The server's WAL insert position now (every database's writes move it). */
async function walLsn(sql: pg.Client): Promise<string> {
  return (await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn'))
    .rows[0]!.lsn;
}

/** WAL bytes written since `lsn`. */
async function walBytesSince(sql: pg.Client, lsn: string): Promise<number> {
  const { rows } = await sql.query<{ bytes: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::text AS bytes',
    [lsn],
  );
  return Number(rows[0]!.bytes);
}

/** Both parts, on `db`. */
async function measure(db: { url: string }): Promise<void> {
  const sim = await startSimulatorThread({
    ...KEY,
    poolKeys: [POOL, ...Array.from({ length: BIND_PHASES }, (_, i) => phasePool(i + 1))],
    ownedPerCity: 0,
    stockPerCity: NUMBERS * (BIND_PHASES + 2),
  });
  // Closed in reverse whatever happens: a failed phase must report its own error, not the one
  // an open connection raises when the database is dropped under it.
  const closing: Array<() => Promise<unknown>> = [() => sim.close()];
  try {
    const config = loadConfig({
      ...benchServiceSettings({
        databaseUrl: db.url,
        providerUrl: sim.url,
        provider: KEY,
        poolKey: POOL,
      }),
      DATABASE_POOL_SIZE: '10',
      PROVIDER_CONNECTIONS: '64',
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      // Delivery settings to try (WEBHOOKS_CONCURRENCY=…), else the defaults.
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([k, v]) => k.startsWith('WEBHOOKS_') && v !== undefined,
        ),
      ),
    });
    const app = await bootstrap(config);
    closing.push(() => app.close());
    await app.listen(0, '127.0.0.1');
    const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    closing.push(() => sql.end());
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

    // The receivers: a child process (see receiverMain), so that what receiving costs is not
    // taken from the service's thread; arrivals come back by IPC, on the system's monotonic clock.
    const arrivals = new Map<string, number>();
    const receiver = await startReceiver((tag, at) => {
      if (!arrivals.has(tag)) arrivals.set(tag, at);
    });
    closing.push(() => receiver.stop());
    const receiverUrl = receiver.url;

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
    // Ended once the lag runs are over; closed with the rest if one of them fails.
    let producing = true;
    closing.push(async () => {
      if (producing) await producer.end();
    });
    const lagRuns: Array<{ p50: number; p99: number; max: number; delivered: string }> = [];
    let seq = 0;
    for (let run = 1; run <= (PHASES.has('lag') ? RUNS : 0); run += 1) {
      const perTick = Math.max(1, Math.round(RATE / 100));
      const ticks = Math.round((RATE * SECONDS) / perTick);
      const committed = new Map<string, number>();
      const lagCpuBefore = await cpuByPart(sql, receiver.pid);
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
        const at = monotonicMs();
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
      // What delivering cost per event at this fixed rate, once every try is recorded (and every
      // job completed: a batch's deliveries are stored when it is settled). The producer's
      // session, 'pg client backend', writes the events: the outbox trigger's share.
      for (let i = 0; i < 250; i += 1) {
        const { rows } = await sql.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::int
              + (SELECT count(*) FROM pgboss.job
                  WHERE name = 'webhook-deliveries' AND state < 'completed')::int AS n`,
        );
        if (rows[0]!.n === 0) break;
        await sleep(20);
      }
      const lagCpu = cpuPerBind(lagCpuBefore, await cpuByPart(sql, receiver.pid), committed.size);
      console.error(`  CPU µs per event ${lagCpu.total} ${JSON.stringify(lagCpu.perBind)}`);
      // The next run starts on an empty queue: what this one left undelivered is cleared.
      await sql.query(`UPDATE webhook_deliveries SET status = 'dead' WHERE status = 'pending'`);
      await sql.query(
        `DELETE FROM pgboss.job WHERE name = 'webhook-deliveries' AND state < 'completed'`,
      );
    }
    await api('DELETE', `/v1/webhooks/endpoints/${String(lagEndpoint.id)}`);
    producing = false;
    await producer.end();

    // ─── 2. bind rate, 3 endpoints against none ─────────────────────────────────────────────────
    let tag = 0;
    const bindPhase = async (endpoints: number, binds = BINDS): Promise<number> => {
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
      await api('PUT', `/v1/pools/${phasePool(tag)}`, {});
      await api('POST', `/v1/pools/${phasePool(tag)}/numbers`, {
        spec: 2,
        city: '杭州',
        count: NUMBERS,
      });
      const bodies = Array.from({ length: binds }, (_, i) =>
        JSON.stringify({
          poolKey: phasePool(tag),
          outId: `rate-${tag}-${i}`,
          phoneA: `136${String(tag * 100_000 + i).padStart(8, '0')}`,
          phoneB: `135${String(tag * 100_000 + i).padStart(8, '0')}`,
          ttlSeconds: 3600,
        }),
      );
      const cpuBefore = await cpuByPart(sql, receiver.pid);
      const sampling = SAMPLE && endpoints > 0 ? sampleStatements(db.url) : undefined;
      const machineBefore = await machineTicks();
      const walBefore = await walLsn(sql);
      const summary = await runLoad({
        kind: 'saturate',
        target: { origin, path: '/v1/bindings', bodies, headers: BENCH_AUTH },
        options: { connections: CONCURRENCY, durationMs: 120_000, maxRequests: binds },
      });
      // The phase's events delivered (every endpoint's), before anything is cleared: a delivery
      // put off past the binds is counted in this phase, not dropped or left to the next.
      const loadEnded = performance.now();
      const machineBusy = busyShare(machineBefore, await machineTicks());
      const walWhileBinding = await walBytesSince(sql, walBefore);
      let drained = true;
      if (endpoints > 0) {
        const deadline = loadEnded + DRAIN_DEADLINE_MS;
        for (;;) {
          const { rows } = await sql.query<{ waiting: number }>(
            `SELECT (SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL)::int
                + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::int
                -- a batch's deliveries are stored when it is settled: its job until then
                + (SELECT count(*) FROM pgboss.job
                    WHERE name = 'webhook-deliveries' AND state < 'completed')::int AS waiting`,
          );
          if (rows[0]!.waiting === 0) break;
          if (performance.now() > deadline) {
            drained = false;
            break;
          }
          await sleep(20);
        }
      }
      const drainMs = performance.now() - loadEnded;
      const samples = await sampling?.stop();
      const cpuAfter = await cpuByPart(sql, receiver.pid);
      const { perBind, total: totalPerBind } = cpuPerBind(cpuBefore, cpuAfter, binds);
      console.error(
        `  ${endpoints} endpoints: machine busy ${machineBusy} while binding, ` +
          `WAL ${(walWhileBinding / binds / 1024).toFixed(1)} KB a bind (the whole server's); ` +
          `CPU µs per bind ${totalPerBind} ${JSON.stringify(perBind)}` +
          (endpoints > 0
            ? `; delivered ${drained ? 'all' : 'NOT all'} ${drainMs.toFixed(0)} ms after the last bind`
            : ''),
      );
      if (samples) console.error(samples);
      if (!drained)
        throw new Error("the phase's deliveries were not all made within the drain deadline");
      // End the phase's bindings (frees X) and its endpoints.
      await sql.query(
        `UPDATE bindings SET state = 'expired', ended_at = now() WHERE out_id LIKE $1`,
        [`rate-${tag}-%`],
      );
      for (const id of made) await api('DELETE', `/v1/webhooks/endpoints/${id}`);
      if (summary.ok < binds * 0.99) throw new Error(`binds: ${JSON.stringify(summary.statuses)}`);
      return summary.perSecond;
    };
    const rates: Record<'none' | 'three', number[]> = { none: [], three: [] };
    // Each side once, unmeasured, before run 1: the invocation's first bind phase was its coldest.
    if (PHASES.has('bind') && WARMUP_BINDS > 0) {
      for (const endpoints of [0, 3]) await bindPhase(endpoints, WARMUP_BINDS);
    }
    for (let run = 1; run <= (PHASES.has('bind') ? RUNS : 0); run += 1) {
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
    // Beside the ratio of medians, each run's own (its two phases ran back to back, so a change
    // of the shared machine's speed between runs, up to 2x here, falls on both).
    const perRun = rates.three.map((t, i) => t / rates.none[i]!);
    console.log(
      `| ratio per run | ${perRun.map((r) => r.toFixed(3)).join(', ')} | ${median(perRun).toFixed(3)} |`,
    );
    console.log(`| **ratio** | | **${(three / none).toFixed(3)}** (target ≥ 0.90) |`);
  } finally {
    for (const close of closing.reverse()) await close().catch(() => undefined);
  }
}

/** Samples the webhook sessions' active statements every 2 ms until stopped (profiling only). */
function sampleStatements(url: string): { stop: () => Promise<string> } {
  const client = new pg.Client({ connectionString: url });
  const counts = new Map<string, number>();
  let running = true;
  let total = 0;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ app: string; q: string }>(
        `SELECT application_name AS app, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS q
           FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
      );
      total += 1;
      for (const r of rows)
        counts.set(`${r.app}: ${r.q}`, (counts.get(`${r.app}: ${r.q}`) ?? 0) + 1);
      await sleep(2);
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, n]) => `    ${((100 * n) / total).toFixed(1)}%  ${k}`)
        .join('\n');
    },
  };
}

/** Milliseconds on CLOCK_MONOTONIC: the same clock in every process of this machine. */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The receivers' process: a bare HTTP/1.1 server on a socket (no framework, no JSON parse), which
 * answers 204 to every request and reports each tagged event's arrival (its `data.change[0]`)
 * to the parent in batches. What a real receiver costs the sender is the request and its
 * answer on the wire; this keeps the receiving side's own work as small as it can be, and off
 * the service's thread (it still runs on the machine's cores: see README, Benchmarks).
 */
function receiverMain(): void {
  let pending: Array<[string, number]> = [];
  const flush = () => {
    if (pending.length > 0) process.send!(pending);
    pending = [];
  };
  setInterval(flush, 20);
  const marker = '"change":["';
  const server = createNetServer((socket) => {
    socket.setNoDelay(true);
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const m = /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, head));
        const end = head + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < end) return;
        const at = monotonicMs();
        const i = buf.indexOf(marker, head);
        if (i >= 0 && i < end) {
          const from = i + marker.length;
          pending.push([buf.slice(from, buf.indexOf('"', from)), at]);
        }
        buf = buf.slice(end);
        socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () =>
    process.send!({ port: (server.address() as AddressInfo).port }),
  );
  process.on('disconnect', () => process.exit(0));
}

async function startReceiver(
  onArrival: (tag: string, at: number) => void,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), ['receiver'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: { port?: number } | Array<[string, number]>) => {
      if (Array.isArray(m)) for (const [tag, at] of m) onArrival(tag, at);
      else if (m.port) resolve(m.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/events`,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

if (process.argv[2] === 'receiver') receiverMain();
else
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
