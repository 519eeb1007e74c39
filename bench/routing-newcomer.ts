/**
 * Routing latency as a newcomer meets it: the built service started as `npm start` starts it with
 * nothing configured (an embedded Postgres, the built-in simulator in the same process, the
 * scheduler and the message consumer on, one log line per request), measured from outside at a
 * fixed offered rate: cache-hit lookups (POST /v1/routing/lookup) beside the trivial route
 * (GET /health/live) at the same rate, alternating, every run. Latency is taken from each
 * request's due time (open loop), so a stall of the process shows as latency. Target (issue 21):
 * hit p99 ≤ 1.5 × the trivial route's p99 + 1 ms.
 *
 * The service runs on a terminal of its own (a pseudo-terminal, as `npm start` in a terminal
 * window), or with OUTPUT=pipe with its stdout a pipe (a process manager, a container).
 *
 *   npm run build && node dist/bench/routing-newcomer.js
 *   RUNS=3 SECONDS=5 RATE=1000 BINDINGS=50 LOG_FORMATS=json,pretty OUTPUT=terminal (all optional)
 *   SERVICE_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' (the service's NODE_OPTIONS)
 *   SERVICE_ENV='ROUTING_COUNTS_FLUSH_MS=1000' (settings added to the service's environment)
 *
 * Beside each run's latency, the service's own event-loop delay during it (prom-client's
 * monitorEventLoopDelay, read from /metrics before and after the run; its histogram restarts at
 * each read): a stall of the process shows there whatever the machine's noise does to the
 * latency seen from outside. Each run's slowest calls and when they were due go to stderr.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { chmod } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_AUTH, BENCH_KEY_SETTINGS } from './support/bench-key.js';
import { exited, freePort, startService } from './support/child-service.js';
import { median, printTable, type LoadSummary } from './support/load.js';
import { runLoad } from './support/run-load.js';
import { intSetting } from './support/settings.js';

const RUNS = intSetting('RUNS', 3, 1, 10);
const SECONDS = intSetting('SECONDS', 5, 1, 60);
const RATE = intSetting('RATE', 1000, 10, 10_000);
const BINDINGS = intSetting('BINDINGS', 50, 1, 500);
const FORMATS = (process.env.LOG_FORMATS ?? 'json,pretty').split(',');
const OUTPUT = process.env.OUTPUT ?? 'terminal';
if (OUTPUT !== 'terminal' && OUTPUT !== 'pipe') throw new Error('OUTPUT must be terminal or pipe');

/** SERVICE_ENV='NAME=value,…': settings added to the service's environment (to try one). */
function serviceEnv(): Record<string, string> {
  const given = process.env.SERVICE_ENV ?? '';
  return Object.fromEntries(
    given
      .split(',')
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

const phone = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

interface Row {
  format: string;
  run: number;
  target: 'trivial' | 'hit';
  summary: LoadSummary;
  loop: LoopDelay;
  /** The service process's CPU time per answered call (µs), Postgres's not included. */
  cpuUs: number;
  /** The embedded Postgres's CPU time per answered call (µs): every backend and helper of it. */
  pgUs: number;
}

/**
 * CPU time (ms) of the embedded Postgres so far: its postmaster (with its reaped children's) and
 * every live child (backends, walwriter, checkpointer…), from /proc. The service's own CPU leaves
 * out what its work costs the database beside it on the same cores (a counts flush, a refresh).
 */
async function postgresCpuMs(pgDir: string): Promise<number> {
  const postmaster = Number((await readFile(join(pgDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const fieldsOf = async (pid: string) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
  };
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = await fieldsOf(pid);
    if (!f) continue;
    // Fields after the name: state, ppid, …; utime, stime at 11, 12; cutime, cstime at 13, 14.
    if (Number(pid) === postmaster)
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10;
}

/** The service's event-loop delay over a run (ms), and its CPU time so far (s), from its metrics. */
interface LoopDelay {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  cpuSeconds: number;
}

/** Reads the event-loop delay the service measured since the last read (and restarts it). */
async function loopDelay(origin: string): Promise<LoopDelay> {
  const res = await fetch(`${origin}/metrics`, { headers: BENCH_AUTH });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`metrics: ${res.status} ${text.slice(0, 200)}`);
  const read = (name: string) => {
    const match = new RegExp(`^axb_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : NaN;
  };
  const cpu = /^axb_process_cpu_seconds_total (\S+)$/m.exec(text);
  return {
    meanMs: read('mean'),
    p99Ms: read('p99'),
    maxMs: read('max'),
    cpuSeconds: cpu ? Number(cpu[1]) : NaN,
  };
}

async function measureFormat(format: string, rows: Row[]): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'axb-newcomer-'));
  await chmod(root, 0o755);
  const port = await freePort();
  const lines: string[] = [];
  // As `npm start` runs it: nothing but a port, a data folder, a key, the log's form, and no
  // per-key rate limit (its default, 200/s, would answer most of 1,000/s with 429).
  const service = await startService(
    {
      PORT: String(port),
      EMBEDDED_PG_DIR: join(root, 'pg'),
      EMBEDDED_PG_PORT: String(await freePort()),
      ...BENCH_KEY_SETTINGS,
      LOG_FORMAT: format,
      ...serviceEnv(),
      ...(process.env.SERVICE_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.SERVICE_NODE_OPTIONS }
        : {}),
    },
    (line) => {
      if (lines.length < 50) lines.push(line);
    },
    120_000,
    { terminal: OUTPUT === 'terminal' },
  );
  const origin = service.url;
  try {
    const bodies: string[] = [];
    for (let i = 0; i < BINDINGS; i += 1) {
      const res = await fetch(`${origin}/v1/bindings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BENCH_AUTH },
        body: JSON.stringify({
          outId: `newcomer-${i}`,
          phoneA: phone('137', i),
          phoneB: phone('139', i),
          ttlSeconds: 3600,
        }),
      });
      const body = (await res.json()) as { id?: string; phoneA: string; phoneB: string };
      if (res.status !== 201 || !body.id)
        throw new Error(`bind: ${res.status} ${JSON.stringify(body)}`);
      bodies.push(
        JSON.stringify({ bindingId: body.id, callerNo: body.phoneA }),
        JSON.stringify({ bindingId: body.id, callerNo: body.phoneB }),
      );
    }
    const targets = {
      trivial: { origin, path: '/health/live', bodies: [], get: true, headers: {} },
      hit: { origin, path: '/v1/routing/lookup', bodies, headers: BENCH_AUTH },
    };
    for (let run = 1; run <= RUNS; run += 1) {
      for (const target of ['trivial', 'hit'] as const) {
        // Warm right before: every (binding, caller) answered once, so the fixed-rate lookups
        // are cache hits. (Warmed once before all runs, the answers ran out during the trivial
        // route's runs, ROUTING_CACHE_TTL_MS being 5 s, and each hit run began with a hundred
        // lookups asking the provider on their path: not the cache hits this measures.)
        if (target === 'hit') {
          await runLoad({
            kind: 'saturate',
            target: targets.hit,
            options: { connections: 4, durationMs: 30_000, maxRequests: bodies.length },
          });
        }
        let before = { cpuSeconds: NaN };
        let pgBefore = NaN;
        const summary = await runLoad(
          {
            kind: 'fixed',
            target: targets[target],
            options: {
              rate: RATE,
              durationMs: SECONDS * 1000,
              connections: 64,
              maxInFlight: 512,
              warmPath: '/health/live',
            },
          },
          // Restarts the service's event-loop histogram right before the load.
          async () => {
            before = await loopDelay(origin);
            pgBefore = await postgresCpuMs(join(root, 'pg'));
          },
        );
        const loop = await loopDelay(origin);
        const cpuUs = (1e6 * (loop.cpuSeconds - before.cpuSeconds)) / summary.answered;
        const pgUs =
          (1e3 * ((await postgresCpuMs(join(root, 'pg'))) - pgBefore)) / summary.answered;
        rows.push({ format, run, target, summary, loop, cpuUs, pgUs });
        console.error(
          `${format} run ${run} ${target}: ${summary.perSecond.toFixed(0)}/s p50 ` +
            `${summary.p50Ms.toFixed(2)} ms p99 ${summary.p99Ms.toFixed(2)} ms ` +
            `not ok ${summary.answered - summary.ok + summary.errors} ${JSON.stringify(summary.statuses)} ` +
            `sources ${JSON.stringify(summary.sources)} cpu ${cpuUs.toFixed(0)} µs/call postgres ${pgUs.toFixed(0)} µs/call event loop mean ${loop.meanMs.toFixed(1)} ` +
            `p99 ${loop.p99Ms.toFixed(1)} max ${loop.maxMs.toFixed(1)} ms; slowest (due at ms: ms) ` +
            summary.slowest.map((s) => `${s.atMs.toFixed(0)}: ${s.ms.toFixed(1)}`).join(', '),
        );
      }
    }
  } finally {
    service.child.kill('SIGTERM');
    await exited(service.child);
    await rm(root, { recursive: true, force: true });
  }
}

/** The share of lookups answered from the cache (the answer's `source`). */
function fromCache(summary: LoadSummary): number {
  const total = Object.values(summary.sources).reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : (100 * (summary.sources.cache ?? 0)) / total;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const format of FORMATS) await measureFormat(format, rows);
  printTable(
    `Every run (fixed ${RATE}/s for ${SECONDS} s, open loop, stdout a ${OUTPUT}; ${cpus().length} cores, load average ` +
      `${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    rows.map((r) => ({
      'log format': r.format,
      run: r.run,
      target: r.target === 'hit' ? 'lookup (cache hit)' : 'GET /health/live',
      'answered/s': Math.round(r.summary.perSecond),
      'not ok': r.summary.answered - r.summary.ok + r.summary.errors,
      'p50 ms': r.summary.p50Ms,
      'p99 ms': r.summary.p99Ms,
      'from cache': r.target === 'hit' ? `${fromCache(r.summary).toFixed(1)} %` : '',
      'cpu µs/call': Math.round(r.cpuUs),
      'pg µs/call': Math.round(r.pgUs),
      'loop p99 ms': r.loop.p99Ms,
      'loop max ms': r.loop.maxMs,
    })),
  );
  const summary = FORMATS.map((format) => {
    const of = (t: Row['target']) => rows.filter((r) => r.format === format && r.target === t);
    const trivial = median(of('trivial').map((r) => r.summary.p99Ms));
    const hit = median(of('hit').map((r) => r.summary.p99Ms));
    const bound = 1.5 * trivial + 1;
    return {
      'log format': format,
      'trivial p99 ms': trivial,
      'hit p99 ms': hit,
      'bound (1.5 × trivial + 1) ms': bound,
      target: hit <= bound ? 'met' : 'NOT met',
      'hit p50 ms': median(of('hit').map((r) => r.summary.p50Ms)),
      'cpu µs/call trivial / hit': `${median(of('trivial').map((r) => r.cpuUs)).toFixed(0)} / ${median(of('hit').map((r) => r.cpuUs)).toFixed(0)}`,
      'pg µs/call trivial / hit': `${median(of('trivial').map((r) => r.pgUs)).toFixed(0)} / ${median(of('hit').map((r) => r.pgUs)).toFixed(0)}`,
      'loop p99 ms trivial / hit': `${median(of('trivial').map((r) => r.loop.p99Ms)).toFixed(1)} / ${median(of('hit').map((r) => r.loop.p99Ms)).toFixed(1)}`,
      'loop max ms trivial / hit': `${median(of('trivial').map((r) => r.loop.maxMs)).toFixed(1)} / ${median(of('hit').map((r) => r.loop.maxMs)).toFixed(1)}`,
    };
  });
  printTable(`Medians of ${RUNS} run(s): hit p99 against the trivial route's`, summary);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
