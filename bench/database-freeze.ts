/**
 * The database frozen under a trickle of binds and lookups (issue 11's "done when"): the built
 * service (node dist/src/main.js) as a child process on an embedded Postgres this script owns;
 * after BEFORE_S seconds every process of that Postgres is stopped (SIGSTOP: connections stay
 * open, nothing answers) for FREEZE_S seconds, then continued (SIGCONT); the trickle goes on for
 * AFTER_S seconds. Readiness is probed every 250 ms without a key and every second with one
 * (liveness too, with the key): a freeze longer than the 30 s key cache (FREEZE_S=45) shows that
 * no probe waits for a key lookup. The service's log lines are counted by phase and level.
 * Reported: answers by phase and status/code, the slowest request of each phase against the
 * configured timeout + 1 s, any 500, when readiness turned 503 and 200 again, whether the same
 * process served throughout, and the books of the binds after one reconciliation
 * (bench/support/order-ledger.ts).
 *
 *   npm run build && node dist/bench/database-freeze.js
 *   (FREEZE_S=20 BEFORE_S=5 AFTER_S=10 TICK_MS=200 DATABASE_QUERY_TIMEOUT_MS=2000
 *    DATABASE_CONNECT_TIMEOUT_MS=2000; the shared server is never touched)
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startSimulator } from '../simulator/server.js';
import { BENCH_KEY } from './support/bench-key.js';
import { benchServiceEnv, exited, startService } from './support/child-service.js';
import { printTable } from './support/load.js';
import { OrderBook, reconcileUntilSettled, send } from './support/order-book.js';
import { simulatorBindings } from './support/order-ledger.js';
import { OwnedPostgres } from './support/owned-postgres.js';
import { intSetting } from './support/settings.js';

const FREEZE_S = intSetting('FREEZE_S', 20, 1, 600);
const BEFORE_S = intSetting('BEFORE_S', 5, 1, 600);
const AFTER_S = intSetting('AFTER_S', 10, 1, 600);
const TICK_MS = intSetting('TICK_MS', 200, 20, 10_000);
const QUERY_TIMEOUT_MS = intSetting('DATABASE_QUERY_TIMEOUT_MS', 2000, 100, 60_000);
const CONNECT_TIMEOUT_MS = intSetting('DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 60_000);
const BOUND_MS = Math.max(QUERY_TIMEOUT_MS, CONNECT_TIMEOUT_MS) + 1000;
const POOL = 'FCFREEZE';
const KEY = { accessKeyId: 'freeze-id', accessKeySecret: 'freeze-secret' };

type Phase = 'before' | 'frozen' | 'after';
interface Sample {
  kind: 'bind' | 'lookup';
  phase: Phase;
  status: number | string;
  code: string;
  ms: number;
}

async function timedPost(url: string, body: unknown) {
  const started = performance.now();
  const res = await send(BENCH_KEY, 'POST', url, body, 60_000);
  return { ...res, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const deadline = setTimeout(
    () => {
      console.error('database-freeze: gave up');
      process.exit(2);
    },
    (BEFORE_S + FREEZE_S + AFTER_S + 180) * 1000,
  );
  deadline.unref();
  const postgres = await OwnedPostgres.start();
  const url = await postgres.migratedDatabase('freeze');
  const sim = await startSimulator({ ...KEY, poolKeys: [POOL], ownedPerCity: 0 });
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  sql.on('error', () => undefined);
  const lines: string[] = [];
  /** Every log line of the service by phase and level (JSON's 40 = warn, 50 = error). */
  const logged: Array<{ phase: Phase; level: number; source: string }> = [];
  let phase: Phase = 'before';
  const service = await startService(
    await benchServiceEnv({
      databaseUrl: url,
      providerUrl: sim.url,
      provider: KEY,
      poolKey: POOL,
      extra: {
        DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      },
    }),
    (l) => {
      lines.push(l);
      logged.push({ phase, level: levelOf(l), source: sourceOf(l) });
    },
  );
  const pid = service.child.pid;
  try {
    await send(BENCH_KEY, 'POST', `${service.url}/v1/pools/${POOL}/numbers`, {
      spec: 2,
      city: '杭州',
      count: 5,
    });
    const book = new OrderBook(POOL, 'freeze', 1, BENCH_KEY);
    const targets: Array<{ id: string; phoneA: string }> = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await timedPost(`${service.url}/v1/bindings`, { ...book.order(900 + i) });
      targets.push({ id: String(res.body.id), phoneA: book.order(900 + i).phoneA });
    }

    const samples: Sample[] = [];
    const readiness: Array<{
      at: number;
      answeredAt: number;
      status: number | string;
      keyed: boolean;
      probe: 'ready' | 'live';
    }> = [];
    const start = performance.now();
    const at = () => (performance.now() - start) / 1000;
    let running = true;
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    let tick = 0;
    const trickle = (async () => {
      while (running) {
        const sentIn = phase;
        const i = tick;
        tick += 1;
        if (i % 3 === 0) {
          const body = book.order(i);
          const entry = {
            outId: body.outId,
            answers: [] as Array<number | 'refused' | 'no answer'>,
            body,
          };
          book.sent.set(body.outId, entry);
          track(
            timedPost(`${service.url}/v1/bindings`, body).then((r) => {
              entry.answers.push(r.status);
              samples.push({
                kind: 'bind',
                phase: sentIn,
                status: r.status,
                code: String(r.body.code ?? ''),
                ms: r.ms,
              });
            }),
          );
        } else {
          const target = targets[i % targets.length]!;
          track(
            timedPost(`${service.url}/v1/routing/lookup`, {
              bindingId: target.id,
              callerNo: target.phoneA,
            }).then((r) => {
              samples.push({
                kind: 'lookup',
                phase: sentIn,
                status: r.status,
                code: String(r.body.code ?? ''),
                ms: r.ms,
              });
            }),
          );
        }
        await sleep(TICK_MS);
      }
    })();
    const probe = async (path: 'ready' | 'live', keyed: boolean) => {
      const sentAt = at();
      const status = await fetch(`${service.url}/health/${path}`, {
        headers: keyed ? { authorization: `Bearer ${BENCH_KEY}` } : {},
        signal: AbortSignal.timeout(15_000),
      }).then(
        (r) => r.status,
        () => 'no answer',
      );
      readiness.push({ at: sentAt, answeredAt: at(), status, keyed, probe: path });
    };
    const probes = (async () => {
      let n = 0;
      while (running) {
        const keyed = n % 4 === 0;
        n += 1;
        // Keyed probes of both kinds: once the key cache (30 s) has run out during a longer
        // freeze, checking the key needs the database (FREEZE_S=45 shows it).
        await Promise.all([probe('ready', keyed), keyed ? probe('live', true) : undefined]);
        await sleep(250);
      }
    })();

    await sleep(BEFORE_S * 1000);
    const frozeAt = at();
    await postgres.freeze();
    phase = 'frozen';
    await sleep(FREEZE_S * 1000);
    await postgres.thaw();
    const thawedAt = at();
    phase = 'after';
    await sleep(AFTER_S * 1000);
    running = false;
    await trickle;
    await probes;
    await Promise.all([...inFlight]);

    const alive = service.child.exitCode === null && service.child.pid === pid;
    // The books of the binds: one reconciliation (grace 0: the trickle has stopped).
    await reconcileUntilSettled({
      db: sql,
      outIds: [...book.sent.keys()],
      forward: async () => undefined,
      pass: () => send(BENCH_KEY, 'POST', `${service.url}/v1/admin/jobs/reconcile`),
      stepMs: 0,
      passes: 5,
    });
    const books = await book.balance(sql, () => simulatorBindings(sim.controlUrl, POOL));

    const rows = (['before', 'frozen', 'after'] as Phase[]).flatMap((p) =>
      (['bind', 'lookup'] as const).map((kind) => {
        const of = samples.filter((s) => s.phase === p && s.kind === kind);
        const by: Record<string, number> = {};
        for (const s of of) {
          const key = `${s.status}${s.code ? ` ${s.code}` : ''}`;
          by[key] = (by[key] ?? 0) + 1;
        }
        return {
          phase: p,
          kind,
          requests: of.length,
          answers: Object.entries(by)
            .map(([k, v]) => `${k}×${v}`)
            .join(', '),
          '500s': of.filter((s) => s.status === 500).length,
          'max ms': Math.round(Math.max(0, ...of.map((s) => s.ms))),
          [`> ${BOUND_MS} ms`]: of.filter((s) => s.ms > BOUND_MS).length,
        };
      }),
    );
    printTable(
      `Database frozen ${FREEZE_S} s (SIGSTOP of every Postgres process) under a trickle of binds ` +
        `and lookups every ${TICK_MS} ms; DATABASE_QUERY_TIMEOUT_MS=${QUERY_TIMEOUT_MS}, ` +
        `DATABASE_CONNECT_TIMEOUT_MS=${CONNECT_TIMEOUT_MS} (bound: ${BOUND_MS} ms)`,
      rows,
    );
    const live = readiness.filter((r) => r.probe === 'live');
    const ready = readiness.filter((r) => r.probe === 'ready');
    const first503 = ready.find((r) => r.at >= frozeAt && r.status === 503);
    const last503 = [...ready].reverse().find((r) => r.status === 503);
    const first200 = ready.find((r) => r.at >= thawedAt && r.status === 200);
    const notReadyWhileFrozen = ready.filter((r) => r.at >= frozeAt + 3 && r.at < thawedAt - 1);
    const frozenProbes = (of: typeof readiness) =>
      of.filter((r) => r.at >= frozeAt && r.at < thawedAt);
    const maxMs = (of: typeof readiness) =>
      Math.round(Math.max(0, ...of.map((r) => (r.answeredAt - r.at) * 1000)));
    const slowReady = frozenProbes(ready).filter((r) => r.answeredAt - r.at > 3);
    const slowLive = frozenProbes(live).filter((r) => r.answeredAt - r.at > 1 || r.status !== 200);
    printTable('Readiness (probed every 250 ms; every 4th with a key)', [
      {
        'frozen at s': frozeAt.toFixed(1),
        'first 503 (sent / answered) after s': first503
          ? `${(first503.at - frozeAt).toFixed(2)} / ${(first503.answeredAt - frozeAt).toFixed(2)}`
          : 'never',
        'probes while frozen (from +3 s)': notReadyWhileFrozen.length,
        'of them 503 (keyed / unkeyed)': `${notReadyWhileFrozen.filter((r) => r.status === 503 && r.keyed).length} / ${notReadyWhileFrozen.filter((r) => r.status === 503 && !r.keyed).length}`,
        'thawed at s': thawedAt.toFixed(1),
        'last 503 at s': last503 ? last503.at.toFixed(1) : '-',
        'first 200 after thaw s': first200 ? (first200.at - thawedAt).toFixed(2) : 'never',
        'same process throughout': alive ? 'yes' : 'NO',
      },
    ]);
    printTable('Probes while frozen: the slowest answer (readiness must answer within 2 s)', [
      {
        'ready keyed max ms': maxMs(frozenProbes(ready.filter((r) => r.keyed))),
        'ready unkeyed max ms': maxMs(frozenProbes(ready.filter((r) => !r.keyed))),
        'live keyed max ms': maxMs(frozenProbes(live)),
        'ready > 3 s': slowReady.length,
        'live > 1 s or not 200': slowLive.length,
      },
    ]);
    printTable(
      'Log lines of the service by phase (LOG_LEVEL=warn): designed refusals are warn once per cause and 10 s',
      (['before', 'frozen', 'after'] as Phase[]).map((p) => {
        const of = (level: number) => logged.filter((l) => l.phase === p && l.level === level);
        const by = (level: number) => {
          const counts: Record<string, number> = {};
          for (const l of of(level)) counts[l.source] = (counts[l.source] ?? 0) + 1;
          return Object.entries(counts)
            .map(([k, v]) => `${k}×${v}`)
            .join(', ');
        };
        return {
          phase: p,
          warn: of(40).length,
          error: of(50).length,
          'warn by source': by(40),
          'error by source': by(50),
        };
      }),
    );
    printTable('Books of the binds after one reconciliation', [{ ...books.counts }]);
    for (const p of books.problems.slice(0, 10)) console.log(`  ${p}`);
    const failed =
      samples.some((s) => s.status === 500 || typeof s.status !== 'number' || s.ms > BOUND_MS) ||
      !first503 ||
      !first200 ||
      notReadyWhileFrozen.some((r) => r.status !== 503) ||
      slowReady.length > 0 ||
      slowLive.length > 0 ||
      !alive ||
      books.counts.doubled + books.counts.lost + books.counts.unsettled > 0;
    console.log(`\nverdict: ${failed ? 'FAILED' : 'ok'}`);
    process.exitCode = failed ? 1 : 0;
  } catch (error) {
    console.error(lines.slice(-30).join('\n'));
    throw error;
  } finally {
    service.child.kill('SIGTERM');
    await exited(service.child);
    await sql.end();
    await sim.close();
    await postgres.stop();
  }
}

/** Who wrote a JSON log line: its context (a Nest logger), else its message (request lines). */
function sourceOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { context?: unknown; msg?: unknown };
    return String(parsed.context ?? parsed.msg ?? '?');
  } catch {
    return 'not JSON';
  }
}

/** A JSON log line's level (0 when the line is not one). */
function levelOf(line: string): number {
  try {
    return Number((JSON.parse(line) as { level?: unknown }).level) || 0;
  } catch {
    return 0;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
