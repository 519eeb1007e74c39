/**
 * SIGKILL in the middle of a burst of binds, restart, one reconciliation run: afterwards every
 * bind must be settled, with at most one provider binding per order, and none lost.
 *
 * The built service runs as a child process (node dist/src/main.js) on a scratch database, with
 * the simulator in this process answering BindAxb slowly, so binds are in flight at the kill.
 * After the restart, every order that got no answer is replayed once (as the order service
 * would), then POST /v1/admin/jobs/reconcile runs one pass. Checked per order, against the
 * simulator's own bindings (/_sim/bindings):
 *   active → exactly one live provider binding, with the SubsId we hold;
 *   failed → no provider binding;
 *   held (unknown, `reconciled` decision held) → exactly one provider binding whose SubsId was
 *     lost with the answer (see reconcile-rules.ts), kept live here until its expiry;
 *   and no provider binding without its row here, no acknowledged bind missing.
 *
 *   npm run build && node dist/bench/crash-reconcile.js
 *   (DATABASE_URL optional; BINDS, CONCURRENCY, LATENCY_MS, KILL_AFTER_MS; an all-roles key is made per run and sent
 *    as a bearer token when set)
 */
import pg from 'pg';
import { startSimulator } from '../simulator/server.js';
import { createBenchDatabase } from './support/bench-database.js';
import { exited, freePort, startService } from './expiry/child-service.js';
import { BENCH_API_KEYS, BENCH_AUTH, BENCH_RATE_LIMIT } from './support/bench-key.js';

const BINDS = Number(process.env.BINDS ?? 300);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 24);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 400);
const KILL_AFTER_MS = Number(process.env.KILL_AFTER_MS ?? 1500);
const DEADLINE_MS = 120_000;
const POOL = 'FCCRASH';
const KEY = { accessKeyId: 'crash-id', accessKeySecret: 'crash-secret' };
const auth: Record<string, string> = BENCH_AUTH;

type Answer = { status: number | 'no answer'; body?: { id?: string; state?: string } };
type SimBinding = { subsId: string; outId: string | null; live: boolean };

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
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(await freePort()),
    DATABASE_URL: db.url,
    MIGRATE_ON_START: 'false',
    PROVIDER_ENDPOINT: sim.url,
    PROVIDER_ACCESS_KEY_ID: KEY.accessKeyId,
    PROVIDER_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    DEFAULT_POOL_KEY: POOL,
    // Jobs run on request below. No grace: after the restart no bind of the killed process can
    // still be in flight, and this is the only instance.
    SCHEDULER_ENABLED: 'false',
    SCHEDULER_RECONCILE_GRACE_SECONDS: '0',
    API_KEYS: BENCH_API_KEYS,
    RATE_LIMIT_PER_SECOND: BENCH_RATE_LIMIT,
    RATE_LIMIT_BURST: BENCH_RATE_LIMIT,
  };
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
    const reconcile = await post(`${service.url}/v1/admin/jobs/reconcile`);

    // The verdict, order by order.
    const rows = await sql.query<{
      out_id: string;
      state: string;
      subs_id: string | null;
      held: boolean;
    }>(
      `SELECT b.out_id, b.state::text, b.subs_id,
              EXISTS (SELECT 1 FROM binding_events e WHERE e.binding_id = b.id
                       AND e.kind = 'reconciled' AND e.details ->> 'decision' = 'held') AS held
         FROM bindings b WHERE b.pool_key = $1`,
      [POOL],
    );
    const provider = (await (
      await fetch(`${sim.controlUrl}/bindings?poolKey=${POOL}`)
    ).json()) as SimBinding[];
    const liveAt = new Map<string, SimBinding[]>();
    for (const b of provider.filter((p) => p.live)) {
      liveAt.set(b.outId ?? '', [...(liveAt.get(b.outId ?? '') ?? []), b]);
    }
    const counts = { active: 0, failed: 0, held: 0, unsettled: 0, violations: 0, orders: 0 };
    const problems: string[] = [];
    const rowsByOrder = new Map<string, typeof rows.rows>();
    for (const r of rows.rows) rowsByOrder.set(r.out_id, [...(rowsByOrder.get(r.out_id) ?? []), r]);
    for (const [i, answer] of answers) {
      const outId = order(i).outId;
      const mine = rowsByOrder.get(outId) ?? [];
      const theirs = liveAt.get(outId) ?? [];
      const live = mine.filter((r) => ['pending', 'active', 'unknown'].includes(r.state));
      const problem = (text: string) => {
        counts.violations += 1;
        problems.push(`${outId}: ${text}`);
      };
      if (mine.length > 0) counts.orders += 1;
      if (answer.status === 201 && mine.length === 0) problem('acknowledged but no row (lost)');
      if (theirs.length > 1) problem(`${theirs.length} provider bindings`);
      if (theirs.length > 0 && live.length === 0) problem('provider binding without a live row');
      if (live.length > 1) problem('two live rows');
      const row = live[0];
      if (!row) {
        if (mine.some((r) => r.state === 'failed')) counts.failed += 1;
        continue;
      }
      if (row.state === 'active') {
        counts.active += 1;
        if (theirs.length !== 1 || theirs[0]!.subsId !== row.subs_id) {
          problem('active without its provider binding');
        }
      } else if (row.state === 'unknown' && row.held) {
        counts.held += 1;
        if (theirs.length !== 1) problem('held without exactly one provider binding');
      } else {
        counts.unsettled += 1;
        problem(`still ${row.state}`);
      }
    }
    const stray = provider.filter((p) => p.live && !rowsByOrder.has(p.outId ?? ''));
    for (const s of stray) problems.push(`provider binding ${s.subsId} (${s.outId}) unknown here`);
    counts.violations += stray.length;

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
    console.log(`  orders with a row:               ${counts.orders}`);
    console.log(`  active, one provider binding:    ${counts.active}`);
    console.log(`  failed, no provider binding:     ${counts.failed}`);
    console.log(`  held, one provider binding:      ${counts.held} (SubsId lost with the answer)`);
    console.log(`  still pending/unknown:           ${counts.unsettled}`);
    console.log(`  provider bindings, live:         ${provider.filter((p) => p.live).length}`);
    console.log(`  violations:                      ${counts.violations}`);
    for (const p of problems.slice(0, 20)) console.log(`    ${p}`);
    process.exitCode = counts.violations === 0 ? 0 : 1;
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
