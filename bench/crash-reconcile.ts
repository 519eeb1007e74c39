/**
 * SIGKILL in the middle of a burst of binds, restart, one reconciliation run: afterwards every
 * bind must be settled, with at most one provider binding per order, and none lost. (The fault
 * suite, test/e2e/fault-suite-process.e2e.test.ts, runs the same fault small in CI.)
 *
 * The built service runs as a child process (node dist/src/main.js) on a scratch database, with
 * the simulator in this process answering BindAxb slowly, so binds are in flight at the kill.
 * After the restart, every order that got no answer is replayed once (as the order service
 * would), then POST /v1/admin/jobs/reconcile runs one pass. Checked per order, against the
 * simulator's own bindings (/_sim/bindings):
 *   active → exactly one live provider binding, with the SubsId we hold;
 *   failed → no provider binding;
 *   nothing left pending or unknown (a re-bind that meets BIND_CONFLICT finds the SubsId on X);
 *   and no provider binding without its row here, no acknowledged bind missing
 *   (bench/support/order-ledger.ts keeps these books).
 *
 *   npm run build && node dist/bench/crash-reconcile.js
 *   (DATABASE_URL optional; BINDS, CONCURRENCY, LATENCY_MS, KILL_AFTER_MS; an all-roles key is made per run and sent
 *    as a bearer token when set)
 */
import pg from 'pg';
import { startSimulator } from '../simulator/server.js';
import { createBenchDatabase } from './support/bench-database.js';
import { benchServiceEnv, exited, startService } from './support/child-service.js';
import { BENCH_AUTH } from './support/bench-key.js';
import { balance, simulatorBindings, type BindingRowView } from './support/order-ledger.js';

const BINDS = Number(process.env.BINDS ?? 300);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 24);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 400);
const KILL_AFTER_MS = Number(process.env.KILL_AFTER_MS ?? 1500);
const DEADLINE_MS = 120_000;
const POOL = 'FCCRASH';
const KEY = { accessKeyId: 'crash-id', accessKeySecret: 'crash-secret' };
const auth: Record<string, string> = BENCH_AUTH;

type Answer = { status: number | 'no answer'; body?: { id?: string; state?: string } };

const phone = (prefix: string, i: number) => `${prefix}${String(i).padStart(8, '0')}`;
const order = (i: number) => ({
  poolKey: POOL,
  outId: `crash-${i}`,
  phoneA: phone('138', i),
  phoneB: phone('139', i),
  ttlSeconds: 3600,
});

async function post(url: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Answer['body'] };
  } catch {
    return { status: 'no answer' };
  }
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`crash-reconcile: gave up after ${DEADLINE_MS} ms`);
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  const db = await createBenchDatabase('crash');
  const sim = await startSimulator({
    ...KEY,
    poolKeys: [POOL],
    ownedPerCity: 0,
    stockPerCity: 200,
  });
  // Jobs run on request below; this is the only instance.
  const env = await benchServiceEnv({
    databaseUrl: db.url,
    providerUrl: sim.url,
    provider: KEY,
    poolKey: POOL,
  });
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  let service = await startService(env, log);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const bought = await post(`${service.url}/v1/pools/${POOL}/numbers`, {
      spec: 2,
      city: '杭州',
      count: 10,
    });
    if (bought.status !== 201 && bought.status !== 200) {
      throw new Error(`buying numbers: ${bought.status}`);
    }
    await fetch(`${sim.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'BindAxb', latencyMs: LATENCY_MS }),
    });

    // The burst: CONCURRENCY clients, BINDS orders; the service is killed mid-way.
    const answers = new Map<number, Answer>();
    let next = 0;
    const client = async () => {
      while (next < BINDS) {
        const i = next++;
        answers.set(i, await post(`${service.url}/v1/bindings`, order(i)));
      }
    };
    const burst = Promise.all(Array.from({ length: CONCURRENCY }, client));
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    service.child.kill('SIGKILL');
    await exited(service.child);
    await burst;
    const fired = answers.size;
    const acked = [...answers.values()].filter((a) => a.status === 201).length;
    const unanswered = [...answers.entries()].filter(([, a]) => a.status === 'no answer');
    const atKill = await sql.query<{ state: string; n: number }>(
      `SELECT state::text, count(*)::int AS n FROM bindings GROUP BY state ORDER BY state`,
    );

    // Restart; the order service replays what got no answer; then one reconciliation pass.
    service = await startService(env, log);
    const replays = await Promise.all(
      unanswered.map(([i]) => post(`${service.url}/v1/bindings`, order(i))),
    );
    const replayed = new Map(unanswered.map(([i], n) => [i, replays[n]!.status]));
    const reconcile = await post(`${service.url}/v1/admin/jobs/reconcile`);

    // The verdict, order by order: the books of bench/support/order-ledger.ts.
    const ledger = balance(
      [...answers.entries()].map(([i, answer]) => ({
        outId: order(i).outId,
        answers: replayed.has(i) ? [answer.status, replayed.get(i)!] : [answer.status],
      })),
      (
        await sql.query<BindingRowView>(
          `SELECT b.id, b.out_id, b.state::text, b.subs_id, q.binding_id IS NOT NULL AS queued
             FROM bindings b LEFT JOIN reconcile_queue q ON q.binding_id = b.id
            WHERE b.pool_key = $1`,
          [POOL],
        )
      ).rows,
      await simulatorBindings(sim.controlUrl, POOL),
    );
    const counts = ledger.counts;
    const problems = ledger.problems;
    const violations = counts.doubled + counts.lost + counts.unsettled;
    console.log(
      `\nSIGKILL after ${KILL_AFTER_MS} ms of a burst of ${BINDS} binds ` +
        `(${CONCURRENCY} clients, BindAxb latency ${LATENCY_MS} ms)`,
    );
    console.log(`  requests fired before the kill:  ${fired}`);
    console.log(`  answered 201 before the kill:    ${acked}`);
    console.log(`  no answer (connection cut):      ${unanswered.length}`);
    console.log(
      `  rows at the kill, by state:      ${atKill.rows.map((r) => `${r.state}=${r.n}`).join(' ')}`,
    );
    console.log(
      `  replays after restart:           ${replays.length} (${[...new Set(replays.map((r) => r.status))].join(', ')})`,
    );
    console.log(
      `  reconciliation run:              ${reconcile.status} ${JSON.stringify((reconcile.body as { counts?: unknown })?.counts ?? reconcile.body)}`,
    );
    console.log(`  orders:                          ${counts.orders}`);
    console.log(`  active, one provider binding:    ${counts.active}`);
    console.log(`  ended, nothing at the provider:  ${counts.ended}`);
    console.log(`  doubled:                         ${counts.doubled}`);
    console.log(`  lost:                            ${counts.lost}`);
    console.log(`  unsettled:                       ${counts.unsettled}`);
    console.log(`  provider bindings, live:         ${counts.liveAtProvider}`);
    console.log(`  violations:                      ${violations}`);
    for (const p of problems.slice(0, 20)) console.log(`    ${p}`);
    process.exitCode = violations === 0 ? 0 : 1;
  } catch (error) {
    console.error(lines.slice(-20).join('\n'));
    throw error;
  } finally {
    await sql.end();
    service.child.kill('SIGTERM');
    await exited(service.child);
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
