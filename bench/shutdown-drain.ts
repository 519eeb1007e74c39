/**
 * SIGTERM during a burst of binds (issue 11's "done when"): the built service (node
 * dist/src/main.js) as a child process, BindAxb answering after LATENCY_MS, BINDS binds from
 * CONCURRENCY clients; SIGTERM once a quarter of them are written. Counted per run:
 * - answers by status; connections refused (never accepted: the listener had closed) and
 *   requests that got no answer (reset or cut under them: must be 0);
 * - rows of answered orders still pending/unknown after the exit (must be 0), the exit code and
 *   how long the shutdown took;
 * - then, as the order service would: a restart, the refused orders replayed, one reconciliation
 *   pass, and the books (bench/support/order-ledger.ts): doubled, lost, unsettled must be 0.
 *
 *   npm run build && node dist/bench/shutdown-drain.js
 *   (DATABASE_URL optional; RUNS=3 BINDS=100 CONCURRENCY=20 LATENCY_MS=300
 *   CLIENT_CONNECTIONS=<CONCURRENCY>)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Agent, setGlobalDispatcher } from 'undici';
import { startSimulator } from '../simulator/server.js';
import { createBenchDatabase } from './support/bench-database.js';
import { BENCH_KEY } from './support/bench-key.js';
import { benchServiceEnv, exited, startService } from './support/child-service.js';
import { printTable } from './support/load.js';
import { OrderBook, reconcileUntilSettled, send } from './support/order-book.js';
import { simulatorBindings } from './support/order-ledger.js';
import { intSetting } from './support/settings.js';

const RUNS = intSetting('RUNS', 3, 1, 20);
const BINDS = intSetting('BINDS', 100, 4, 2000);
const CONCURRENCY = intSetting('CONCURRENCY', 20, 1, 200);
const LATENCY_MS = intSetting('LATENCY_MS', 300, 0, 5000);
/**
 * The client's keep-alive connections to the service, as an order service's HTTP client pools
 * them (default: one per concurrent request). 0: a new connection whenever none is free, as
 * fetch's default agent does; then a connection the kernel completed in the last moments before
 * the listener closed, which the service never accepted, is reset by the kernel when it closes
 * the listening socket (its accept queue is dropped; the order was never processed and its
 * replay binds it once). No server can answer those; load balancers avoid them by leaving on
 * readiness 503 first.
 */
const CLIENT_CONNECTIONS = intSetting('CLIENT_CONNECTIONS', CONCURRENCY, 0, 1000);
const POOL = 'FCDRAIN';
const KEY = { accessKeyId: 'drain-id', accessKeySecret: 'drain-secret' };

async function main(): Promise<void> {
  if (CLIENT_CONNECTIONS > 0) setGlobalDispatcher(new Agent({ connections: CLIENT_CONNECTIONS }));
  const deadline = setTimeout(() => {
    console.error('shutdown-drain: gave up after 600 s');
    process.exit(2);
  }, 600_000);
  deadline.unref();
  const db = await createBenchDatabase('drain');
  const sim = await startSimulator({
    ...KEY,
    poolKeys: [POOL],
    ownedPerCity: 0,
    stockPerCity: 200,
  });
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  const lines: string[] = [];
  const env = () =>
    benchServiceEnv({ databaseUrl: db.url, providerUrl: sim.url, provider: KEY, poolKey: POOL });
  const rows: Array<Record<string, string | number>> = [];
  let failures = 0;
  try {
    for (let run = 1; run <= RUNS; run += 1) {
      const service = await startService(await env(), (l) => lines.push(l));
      if (run === 1) {
        await send(BENCH_KEY, 'POST', `${service.url}/v1/pools/${POOL}/numbers`, {
          spec: 2,
          city: '杭州',
          count: 10,
        });
      }
      await fetch(`${sim.controlUrl}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'BindAxb', latencyMs: LATENCY_MS, count: 1_000_000 }),
      });
      const book = new OrderBook(POOL, `drain${run}`, run, BENCH_KEY);
      const outIds = Array.from({ length: BINDS }, (_, i) => book.order(i).outId);
      const burst = book.burst([service.url], BINDS, CONCURRENCY);
      for (let i = 0; i < 3000; i += 1) {
        const { rows: r } = await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM bindings WHERE out_id = ANY($1)`,
          [outIds],
        );
        if (r[0]!.n >= BINDS / 4) break;
        await new Promise((res) => setTimeout(res, 10));
      }
      const signalled = performance.now();
      service.child.kill('SIGTERM');
      const exitCode = await new Promise<number | null>((resolve) =>
        service.child.once('exit', (code) => resolve(code)),
      );
      const shutdownMs = Math.round(performance.now() - signalled);
      await burst;
      await fetch(`${sim.controlUrl}/faults`, { method: 'DELETE' });
      const answers = book.answers();
      const answeredIds = [...book.sent.values()]
        .filter((o) => typeof o.answers.at(-1) === 'number')
        .map((o) => o.outId);
      const { rows: open } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bindings
          WHERE out_id = ANY($1) AND state IN ('pending', 'unknown')`,
        [answeredIds],
      );

      const again = await startService(await env(), (l) => lines.push(l));
      const replayed = await book.replayUnsettled(again.url);
      await reconcileUntilSettled({
        db: sql,
        outIds,
        forward: async () => undefined,
        pass: () => send(BENCH_KEY, 'POST', `${again.url}/v1/admin/jobs/reconcile`),
        stepMs: 0,
        passes: 5,
      });
      const books = await book.balance(sql, () => simulatorBindings(sim.controlUrl, POOL));
      again.child.kill('SIGTERM');
      await exited(again.child);

      const accepted = answeredIds.length + (answers['no answer'] ?? 0);
      const ok =
        (answers['no answer'] ?? 0) === 0 &&
        open[0]!.n === 0 &&
        exitCode === 0 &&
        books.counts.doubled + books.counts.lost + books.counts.unsettled === 0;
      if (!ok) failures += 1;
      rows.push({
        run,
        accepted,
        'answered 201': answers['201'] ?? 0,
        'other answers': answeredIds.length - (answers['201'] ?? 0),
        'reset / no answer': answers['no answer'] ?? 0,
        'refused at connect': answers.refused ?? 0,
        'answered, left pending': open[0]!.n,
        'exit code': String(exitCode),
        'shutdown ms': shutdownMs,
        replayed,
        'active after': books.counts.active,
        doubled: books.counts.doubled,
        lost: books.counts.lost,
        unsettled: books.counts.unsettled,
        verdict: ok ? 'ok' : 'FAILED',
      });
      for (const p of books.problems.slice(0, 10)) console.log(`  run ${run}: ${p}`);
    }
    printTable(
      `SIGTERM during ${BINDS} binds (${CONCURRENCY} clients over ` +
        `${CLIENT_CONNECTIONS || 'as many as needed'} connections, BindAxb latency ${LATENCY_MS} ms), ` +
        `once a quarter of them were written`,
      rows,
    );
    process.exitCode = failures === 0 ? 0 : 1;
  } catch (error) {
    console.error(lines.slice(-30).join('\n'));
    throw error;
  } finally {
    await sql.end();
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
