import pg from 'pg';
import {
  balance,
  type Answer,
  type BindingRowView,
  type LedgerCounts,
  type ProviderBindingView,
  type SentOrder,
} from './order-ledger.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.Client, 'query'>;

export interface OrderBody {
  poolKey: string;
  outId: string;
  phoneA: string;
  phoneB: string;
  ttlSeconds: number;
}

/**
 * POST/DELETE with an all-roles API key (`key`); never throws: a refused connection is 'refused',
 * any other failure (reset, closed under the request, timeout) 'no answer'.
 */
export async function send(
  key: string,
  method: 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<{ status: Answer; body: Record<string, unknown> }> {
  try {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return { status: code === 'ECONNREFUSED' ? 'refused' : 'no answer', body: {} };
  }
}

/**
 * The fault suite's driver (test/e2e/fault-suite-*, bench/shutdown-drain, bench/database-freeze):
 * the orders of one scenario, as an order service would send them: a burst of binds, replays of
 * those that got no definite answer, and the unbinds at trip end; then the books.
 */
export class OrderBook {
  readonly sent = new Map<string, SentOrder & { body: OrderBody }>();
  /** Error answers of the binds by `status code` (e.g. `503 DATABASE_UNAVAILABLE`). */
  readonly codes: Record<string, number> = {};

  constructor(
    private readonly poolKey: string,
    private readonly prefix: string,
    /** Distinguishes the parties of this book's orders from other books' (phone numbers). */
    private readonly series: number,
    /** An all-roles API key of the service. */
    private readonly key: string,
  ) {}

  order(i: number): OrderBody {
    const n = String(this.series * 1000 + i).padStart(6, '0');
    return {
      poolKey: this.poolKey,
      outId: `${this.prefix}-${i}`,
      phoneA: `13700${n}`,
      phoneB: `13600${n}`,
      ttlSeconds: 3600,
    };
  }

  /** `count` binds (orders `from`…), `concurrency` at a time, spread over the given URLs. */
  async burst(urls: string[], count: number, concurrency: number, from = 0): Promise<void> {
    let next = from;
    const client = async (c: number) => {
      while (next < from + count) {
        const i = next++;
        const body = this.order(i);
        const entry = this.sent.get(body.outId) ?? { outId: body.outId, answers: [], body };
        this.sent.set(body.outId, entry);
        const url = urls[(i + c) % urls.length]!;
        const res = await send(this.key, 'POST', `${url}/v1/bindings`, body);
        entry.answers.push(res.status);
        if (typeof res.status === 'number' && res.status >= 400) {
          const key = `${res.status} ${String(res.body.code)}`;
          this.codes[key] = (this.codes[key] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, c) => client(c)));
  }

  /** Replays every order whose last answer was not definite (none, or 5xx), once. */
  async replayUnsettled(url: string): Promise<number> {
    const open = [...this.sent.values()].filter((o) => {
      const last = o.answers.at(-1);
      return typeof last !== 'number' || last >= 500;
    });
    await Promise.all(
      open.map(async (o) =>
        o.answers.push((await send(this.key, 'POST', `${url}/v1/bindings`, o.body)).status),
      ),
    );
    return open.length;
  }

  /** DELETEs every live binding of the book's orders; the answers (200 or 202) by status. */
  async unbindAll(url: string, db: Queryable): Promise<Record<string, number>> {
    const { rows } = await db.query<{ id: string; out_id: string }>(
      `SELECT id, out_id FROM bindings
        WHERE out_id = ANY($1) AND state IN ('pending', 'active', 'unknown', 'unbinding')`,
      [[...this.sent.keys()]],
    );
    const statuses: Record<string, number> = {};
    await Promise.all(
      rows.map(async (r) => {
        const { status } = await send(this.key, 'DELETE', `${url}/v1/bindings/${r.id}`);
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      }),
    );
    for (const o of this.sent.values()) o.unbound = true;
    return statuses;
  }

  /** Answers of the latest attempt of every order, by status. */
  answers(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.sent.values()) {
      const key = String(o.answers.at(-1));
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  /** The books: this book's orders against their rows and the provider's bindings. */
  async balance(
    db: Queryable,
    providerBindings: () => Promise<ProviderBindingView[]>,
  ): Promise<{ counts: LedgerCounts; problems: string[] }> {
    const outIds = [...this.sent.keys()];
    const { rows } = await db.query<BindingRowView>(
      `SELECT b.id, b.out_id, b.state::text, b.subs_id, q.binding_id IS NOT NULL AS queued
         FROM bindings b LEFT JOIN reconcile_queue q ON q.binding_id = b.id
        WHERE b.out_id = ANY($1)`,
      [outIds],
    );
    const mine = new Set(outIds);
    const provider = (await providerBindings()).filter((p) => mine.has(p.outId ?? ''));
    return balance([...this.sent.values()], rows, provider);
  }
}

/** Bindings of these orders still awaiting reconciliation (open, or their provider check due). */
export async function awaiting(db: Queryable, outIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bindings b
      WHERE b.out_id = ANY($1)
        AND (binding_state_open(b.state)
             OR EXISTS (SELECT 1 FROM reconcile_queue q WHERE q.binding_id = b.id))`,
    [outIds],
  );
  return rows[0]!.n;
}

/**
 * Runs reconciliation until none of `outIds` awaits it, moving time past the grace period and
 * any backoff before each pass (bounded: `passes` at most). Returns the passes it took.
 */
export async function reconcileUntilSettled(options: {
  db: Queryable;
  outIds: string[];
  /** Moves the service's (and the provider's) clock. */
  forward: (ms: number) => Promise<void>;
  /** One pass (the job in-process, or POST /v1/admin/jobs/reconcile). */
  pass: () => Promise<unknown>;
  /** Grace plus the longest backoff, ms. */
  stepMs: number;
  passes?: number;
}): Promise<number> {
  const limit = options.passes ?? 12;
  for (let i = 1; i <= limit; i += 1) {
    if ((await awaiting(options.db, options.outIds)) === 0) return i - 1;
    await options.forward(options.stepMs);
    await options.pass();
  }
  const left = await awaiting(options.db, options.outIds);
  if (left > 0) throw new Error(`${left} binding(s) still awaiting after ${limit} passes`);
  return limit;
}
