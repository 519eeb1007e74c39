/**
 * Whether a stranger's routing lookup tells, by its time, that a binding exists (issue 27,
 * requirement 4). The built service as `npm start` runs it (embedded Postgres, the built-in
 * simulator, the scheduler and consumer on, a log line per request); bindings made and looked up
 * once by their party A, so their routing entries are cached as in production. Then lookups by a
 * caller who is neither party (403 ROUTE_FORBIDDEN, the same bytes either way), one connection,
 * one at a time, the four kinds taking turns request by request (latency from send to answer):
 *   existing id / unknown id          {bindingId, callerNo}
 *   existing order / unknown order    {outId, callerNo}
 * Target: for ids and for orders, the two distributions overlap (each one's median p90 is above
 * the other's median p10) and their p50s differ by less than 10 % (the median over RUNS runs of
 * existing p50 / unknown p50 within a run).
 *
 *   npm run build && node dist/bench/routing-strangers.js
 *   RUNS=5 REQUESTS=1500 BINDINGS=200 (all optional; each run is also bounded to 60 s)
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_AUTH, BENCH_KEY_SETTINGS } from './support/bench-key.js';
import { exited, freePort, startService } from './support/child-service.js';
import { performance } from 'node:perf_hooks';
import { httpTask, median, printTable } from './support/load.js';
import { intSetting } from './support/settings.js';

const RUNS = intSetting('RUNS', 5, 1, 15);
const REQUESTS = intSetting('REQUESTS', 1500, 100, 20_000);
const BINDINGS = intSetting('BINDINGS', 200, 10, 2000);
const STRANGER = '13712345678';

const KINDS = ['existing id', 'unknown id', 'existing order', 'unknown order'] as const;
type Kind = (typeof KINDS)[number];

interface Percentiles {
  p10: number;
  p50: number;
  p90: number;
  p99: number;
}

function percentiles(ms: number[]): Percentiles {
  const sorted = Float64Array.from(ms).sort();
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p10: at(10), p50: at(50), p90: at(90), p99: at(99) };
}

const phone = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

async function post(origin: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BENCH_AUTH },
    body: JSON.stringify(body),
  });
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'axb-strangers-'));
  await chmod(root, 0o755);
  const port = await freePort();
  const service = await startService(
    {
      PORT: String(port),
      EMBEDDED_PG_DIR: join(root, 'pg'),
      EMBEDDED_PG_PORT: String(await freePort()),
      ...BENCH_KEY_SETTINGS,
      LOG_FORMAT: 'json',
    },
    () => undefined,
    120_000,
  );
  const origin = service.url;
  const rows: Array<{ run: number; kind: Kind; summary: Percentiles }> = [];
  try {
    const bodies: Record<Kind, string[]> = {
      'existing id': [],
      'unknown id': [],
      'existing order': [],
      'unknown order': [],
    };
    for (let i = 0; i < BINDINGS; i += 1) {
      const outId = `strangers-${i}`;
      const res = await post(origin, '/v1/bindings', {
        outId,
        phoneA: phone('138', i),
        phoneB: phone('139', i),
        ttlSeconds: 3600,
      });
      const body = (await res.json()) as { id?: string };
      if (res.status !== 201 || !body.id) throw new Error(`bind: ${res.status}`);
      // Looked up once by its party: cached, as a binding in use is.
      const party = await post(origin, '/v1/routing/lookup', {
        bindingId: body.id,
        callerNo: phone('138', i),
      });
      if (party.status !== 200) throw new Error(`party lookup: ${party.status}`);
      bodies['existing id'].push(JSON.stringify({ bindingId: body.id, callerNo: STRANGER }));
      bodies['unknown id'].push(JSON.stringify({ bindingId: randomUUID(), callerNo: STRANGER }));
      bodies['existing order'].push(JSON.stringify({ outId, callerNo: STRANGER }));
      bodies['unknown order'].push(
        JSON.stringify({ outId: `strangers-none-${i}`, callerNo: STRANGER }),
      );
    }
    // One connection, one lookup at a time, the four kinds interleaved request by request (so
    // whatever else the machine does falls on all of them alike). Binding c's four lookups
    // take turns in an order rotated by c, so each kind follows each other as often.
    const kindOf = bodies['existing id'].flatMap((_, c) =>
      KINDS.map((_, j) => KINDS[(j + c) % KINDS.length]!),
    );
    const mixed = kindOf.map((kind, i) => bodies[kind][Math.floor(i / KINDS.length)]!);
    const http = httpTask(
      { origin, path: '/v1/routing/lookup', bodies: mixed, headers: BENCH_AUTH },
      1,
    );
    try {
      // Warm: every body sent once (connections, prepared statements, JIT).
      for (let i = 0; i < mixed.length; i += 1) await http.task(i);
      for (let run = 1; run <= RUNS; run += 1) {
        const times: Record<Kind, number[]> = {
          'existing id': [],
          'unknown id': [],
          'existing order': [],
          'unknown order': [],
        };
        const deadline = performance.now() + 60_000;
        for (let i = 0; i < REQUESTS * KINDS.length && performance.now() < deadline; i += 1) {
          const kind = kindOf[i % kindOf.length]!;
          const started = performance.now();
          const outcome = await http.task(i);
          times[kind].push(performance.now() - started);
          if (outcome.status !== 403) throw new Error(`${kind}: answered ${outcome.status}`);
        }
        for (const kind of KINDS) {
          const summary = percentiles(times[kind]);
          rows.push({ run, kind, summary });
          console.error(
            `run ${run} ${kind}: p10 ${summary.p10.toFixed(3)} p50 ${summary.p50.toFixed(3)} ` +
              `p90 ${summary.p90.toFixed(3)} ms`,
          );
        }
      }
    } finally {
      await http.close();
    }
  } finally {
    service.child.kill('SIGTERM');
    await exited(service.child);
    await rm(root, { recursive: true, force: true });
  }

  printTable(
    `Every run (${REQUESTS} lookups a kind, interleaved, one at a time, all 403; ${cpus().length} cores, load ` +
      `average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
    rows.map((r) => ({
      run: r.run,
      lookup: r.kind,
      'p10 ms': r.summary.p10,
      'p50 ms': r.summary.p50,
      'p90 ms': r.summary.p90,
      'p99 ms': r.summary.p99,
    })),
  );
  const med = (kind: Kind, p: 'p10' | 'p50' | 'p90') =>
    median(rows.filter((r) => r.kind === kind).map((r) => r.summary[p]));
  const pairs: Array<[string, Kind, Kind]> = [
    ['by id', 'existing id', 'unknown id'],
    ['by order', 'existing order', 'unknown order'],
  ];
  // Within a run the kinds are interleaved, so their ratio is what a busy machine disturbs least.
  const ratio = (known: Kind, unknown: Kind, p: 'p10' | 'p50') =>
    median(
      Array.from({ length: RUNS }, (_, i) => {
        const of = (kind: Kind) => rows.find((r) => r.run === i + 1 && r.kind === kind)!.summary;
        return of(known)[p] / of(unknown)[p];
      }),
    );
  printTable(
    `Medians of ${RUNS} runs: existing against unknown, for a caller who is neither party`,
    pairs.map(([name, known, unknown]) => {
      const p50Ratio = ratio(known, unknown, 'p50');
      const overlap =
        med(known, 'p90') >= med(unknown, 'p10') && med(unknown, 'p90') >= med(known, 'p10');
      return {
        lookup: name,
        'existing p10/p50/p90 ms': `${fmt(med(known, 'p10'))} / ${fmt(med(known, 'p50'))} / ${fmt(med(known, 'p90'))}`,
        'unknown p10/p50/p90 ms': `${fmt(med(unknown, 'p10'))} / ${fmt(med(unknown, 'p50'))} / ${fmt(med(unknown, 'p90'))}`,
        'p10 ratio': ratio(known, unknown, 'p10'),
        'p50 ratio': p50Ratio,
        overlap: overlap ? 'yes' : 'no',
        'target (overlap, p50 within 10 %)':
          overlap && Math.abs(p50Ratio - 1) < 0.1 ? 'met' : 'NOT met',
      };
    }),
  );
}

const fmt = (ms: number) => ms.toFixed(2);

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
