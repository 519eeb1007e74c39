import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LIVE_STATES, OPEN_STATES } from '../../src/bindings/binding-states.js';
import type { PrismaService } from '../../src/prisma/prisma.service.js';
import { explained } from '../support/auto-explain.js';
import { openPrisma, unique } from '../support/prisma.js';

/**
 * The SQL of the bind path (prisma/sql/: 010, 020, 050) on the real schema:
 * the one definition of "live", inventory's claim_x() rules, and the one expire operation.
 */
let prisma: PrismaService;
let db: pg.Pool;
const HOUR = 3_600_000;
const now = new Date();

beforeAll(async () => {
  prisma = await openPrisma();
  db = prisma.pgPool;
});
afterAll(async () => {
  await prisma.onModuleDestroy();
});

async function pool(cityStrict = false): Promise<string> {
  const key = unique('FC');
  await db.query('INSERT INTO pools (key, city_strict) VALUES ($1, $2)', [key, cityStrict]);
  return key;
}

async function number(
  poolKey: string,
  city: string,
  over: { health?: string; released?: boolean } = {},
): Promise<string> {
  const n = unique('130');
  await db.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city, health, state, released_at)
     VALUES ($1, $2, 2, $3, $4::number_health, $5::number_state, $6)`,
    [
      poolKey,
      n,
      city,
      over.health ?? 'normal',
      over.released ? 'released' : 'active',
      over.released ? now : null,
    ],
  );
  return n;
}

async function binding(
  poolKey: string,
  phoneX: string,
  over: { a?: string; b?: string; state?: string; expiresAt?: Date } = {},
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state, expires_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::binding_state, $8) RETURNING id`,
    [
      poolKey,
      unique('order-'),
      over.a ?? unique('138'),
      over.b ?? unique('139'),
      phoneX,
      unique('subs'),
      over.state ?? 'active',
      over.expiresAt ?? new Date(now.getTime() + HOUR),
    ],
  );
  return rows[0]!.id;
}

async function hint(n: string, pairs: number): Promise<void> {
  await db.query(
    `INSERT INTO x_load_hints (number, pairs, counted_at) VALUES ($1, $2, $3)
     ON CONFLICT (number) DO UPDATE SET pairs = excluded.pairs`,
    [n, pairs, now],
  );
}

async function hintOf(n: string): Promise<number | undefined> {
  const { rows } = await db.query(`SELECT pairs FROM x_load_hints WHERE number = $1`, [n]);
  return rows[0]?.pairs;
}

interface Claim {
  pool: string;
  a?: string;
  b?: string;
  city?: string | null;
  strict?: boolean;
  pinned?: string | null;
  exclude?: string[];
  maxPairs?: number;
}

async function claim(
  c: Claim,
  client: pg.Pool | pg.PoolClient = db,
): Promise<{ number: string | null; refusal: string | null; city_strict: boolean }> {
  const { rows } = await client.query(
    `SELECT (c).number, (c).refusal, (c).city_strict
       FROM (SELECT claim_x($1, $2, $3, $4, $5, $6, $7, $8, $9) AS c) s`,
    [
      c.pool,
      c.a ?? '13800000001',
      c.b ?? '13900000001',
      c.city === undefined ? '杭州' : c.city,
      c.strict ?? false,
      c.pinned ?? null,
      c.exclude ?? [],
      c.maxPairs ?? 200,
      now,
    ],
  );
  return rows[0];
}

describe('one definition of a live binding', () => {
  it('binding_state_live() and LIVE_STATES agree', async () => {
    const { rows } = await db.query<{ s: string }>(
      `SELECT s::text FROM unnest(enum_range(NULL::binding_state)) s WHERE binding_state_live(s)`,
    );
    expect(rows.map((r) => r.s).sort()).toEqual([...LIVE_STATES].sort());
  });

  it('binding_state_open() and OPEN_STATES agree', async () => {
    const { rows } = await db.query<{ s: string }>(
      `SELECT s::text FROM unnest(enum_range(NULL::binding_state)) s WHERE binding_state_open(s)`,
    );
    expect(rows.map((r) => r.s).sort()).toEqual([...OPEN_STATES].sort());
  });

  it('a binding has a live pair exactly in LIVE_STATES, and the live-X check lists them', async () => {
    const { rows: all } = await db.query<{ s: string }>(
      `SELECT unnest(enum_range(NULL::binding_state))::text AS s`,
    );
    const p = await pool();
    const x = await number(p, '杭州');
    const paired: string[] = [];
    for (const { s } of all) {
      const id = await binding(p, x, { state: s });
      const { rows } = await db.query(`SELECT 1 FROM live_pairs WHERE binding_id = $1`, [id]);
      if (rows.length === 1) paired.push(s);
      // Ended again, so the next state's binding does not meet this one's pair.
      await db.query(`UPDATE bindings SET state = 'expired' WHERE id = $1`, [id]);
    }
    expect(paired.sort()).toEqual([...LIVE_STATES].sort());
    const { rows: checks } = await db.query<{ predicate: string }>(
      `SELECT pg_get_constraintdef(oid) AS predicate FROM pg_constraint
        WHERE conrelid = 'bindings'::regclass AND conname = 'bindings_live_x_check'`,
    );
    expect(checks).toHaveLength(1);
    const listed = all.map((r) => r.s).filter((s) => checks[0]!.predicate.includes(`'${s}'`));
    expect(listed.sort()).toEqual([...LIVE_STATES].sort());
  });

  it("functions that join a statement's transition tables never nest loops over them", async () => {
    // Their plans are cached per connection from the first run: one planned on a one-row settle
    // would run a 5,000-row sweep as a quadratic nested loop. Either the join is a FULL JOIN (no
    // nested loop can run one) or the function turns nested loops off. (The event check probes
    // bindings by primary key for each new event: a nested loop is its plan at every size.)
    const { rows } = await db.query<{ name: string; config: string[] | null; source: string }>(
      `SELECT proname AS name, proconfig AS config, prosrc AS source FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
          AND prosrc ~ 'old_rows' AND prosrc ~ 'new_rows'`,
    );
    expect(rows.map((r) => r.name)).toContain('bindings_changed');
    for (const r of rows) {
      const fullJoin = /FULL JOIN (old|new)_rows/.test(r.source);
      expect(fullJoin || (r.config ?? []).includes('enable_nestloop=off'), r.name).toBe(true);
    }
  });

  it('no other SQL function spells out the live states (they use binding_state_live())', async () => {
    const { rows } = await db.query<{ name: string; source: string }>(
      `SELECT proname AS name, prosrc AS source FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
          AND proname NOT IN ('binding_state_live', 'binding_state_open')`,
    );
    // Naming three or more live states in one place is a list of them, bound to go stale when a
    // state is added (as the routing trigger's did when `unbinding` came).
    const listing = rows
      .filter((r) => LIVE_STATES.filter((s) => r.source.includes(`'${s}'`)).length >= 3)
      .map((r) => r.name);
    expect(listing).toEqual([]);
  });

  it('an overdue binding no longer counts among the live pairs of its X', async () => {
    const p = await pool();
    const x = await number(p, '杭州');
    await binding(p, x);
    await binding(p, x, { expiresAt: new Date(now.getTime() - 1000) });
    await binding(p, x, { state: 'unbound' });
    const { rows } = await db.query(`SELECT x_live_pairs($1, $2) AS n`, [x, now]);
    expect(rows[0].n).toBe(1);
  });
});

describe("claim_x() reads one number's pairs, never the whole pool's", () => {
  it('counts the load of X through X, not through the expiry index (generic plans)', async () => {
    // Live pairs on many other numbers, with statistics: the shape in which a generic plan of
    // `x = $1 AND expires_at > $2` reads the expiry index from now on (every live pair) to count
    // one number's, per claim (issue 21).
    const crowd = await pool();
    const xs = await Promise.all(Array.from({ length: 40 }, () => number(crowd, '杭州')));
    await db.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                             expires_at)
       SELECT gen_random_uuid(), $1, $2 || g, '137' || lpad(g::text, 8, '0'),
              '139' || lpad(g::text, 8, '0'), ($3::text[])[1 + g % 40], 's' || g, 'active', $4
         FROM generate_series(1, 3000) g`,
      [crowd, unique('crowd-'), xs, new Date(now.getTime() + HOUR)],
    );
    await db.query('ANALYZE live_pairs');
    const p = await pool();
    const x = await number(p, '杭州');
    await binding(p, x);
    const plans = await explained(inject('databaseUrl'), async (client) => {
      await client.query('BEGIN');
      const claimed = await claim({ pool: p }, client as unknown as pg.PoolClient);
      expect(claimed.number).toBe(x);
      const { rows } = await client.query(`SELECT x_live_pairs($1, $2) AS n`, [x, now]);
      expect(rows[0].n).toBe(1);
      await client.query('ROLLBACK');
    });
    const reads = plans.filter((t) => t.includes('live_pairs lp'));
    expect(reads.length).toBeGreaterThan(0);
    expect(plans.filter((t) => t.includes('live_pairs_expires_at_idx'))).toEqual([]);
  });
});

describe('place_bindings(): the pairs a batch places before it inserts them', () => {
  /**
   * One batch of place_bindings(), never waiting: the items' outcomes and numbers, sorted (the
   * function takes the items in its own order, by their orders' lock keys).
   */
  async function placeBatch(
    poolKey: string,
    pairs: Array<[string, string]>,
    maxPairs: number,
  ): Promise<Array<{ outcome: string; x: string | null }>> {
    const items = pairs.map(([a, b], i) => ({
      i,
      outId: unique('batch-'),
      record: false,
      expiresAt: new Date(now.getTime() + HOUR),
      actor: 'test',
      details: {},
      pool: poolKey,
      a,
      b,
      city: null,
      cityStrict: false,
      pinned: null,
      exclude: [],
      maxPairs,
      callControl: {},
      owner: 'order',
      seesAll: false,
    }));
    const { rows } = await db.query<{ i: number; outcome: string; phone_x: string | null }>(
      'SELECT i, outcome, phone_x FROM place_bindings($1::jsonb, $2, false) ORDER BY i',
      [JSON.stringify(items), now],
    );
    return rows
      .map((r) => ({ outcome: r.outcome, x: r.phone_x }))
      .sort((l, r) => l.outcome.localeCompare(r.outcome));
  }

  it('a party placed earlier in the batch keeps the next pair of it off that number', async () => {
    const p = await pool();
    const x = await number(p, '杭州');
    const a = unique('137');
    expect(
      await placeBatch(
        p,
        [
          [a, unique('139')],
          [a, unique('139')],
        ],
        200,
      ),
    ).toEqual([
      { outcome: 'exhausted', x: null },
      { outcome: 'placed', x },
    ]);
  });

  it("the batch's earlier pairs count toward the number's capacity", async () => {
    const p = await pool();
    const x = await number(p, '杭州');
    const pairs: Array<[string, string]> = [
      [unique('137'), unique('139')],
      [unique('137'), unique('139')],
    ];
    expect(await placeBatch(p, pairs, 1)).toEqual([
      { outcome: 'exhausted', x: null },
      { outcome: 'placed', x },
    ]);
  });
});

describe('claim_x(): which number may carry a pair', () => {
  it('prefers the requested city, then the least loaded as last counted, and counts it again', async () => {
    const p = await pool();
    const busy = await number(p, '杭州');
    const light = await number(p, '杭州');
    const elsewhere = await number(p, '北京');
    await hint(busy, 2);
    await hint(light, 1);
    await binding(p, light);
    expect((await claim({ pool: p })).number).toBe(light);
    // Counted exactly under its lock: one live pair, plus the one being placed.
    expect(await hintOf(light)).toBe(2);
    expect((await claim({ pool: p, city: '北京' })).number).toBe(elsewhere);
    // No number in 上海: any city, least loaded first (never counted: 0).
    expect((await claim({ pool: p, city: '上海' })).number).toBe(elsewhere);
  });

  it('admits on the exact count: a stale high count does not keep a number out', async () => {
    const p = await pool();
    const stale = await number(p, '杭州');
    await hint(stale, 500);
    expect((await claim({ pool: p, maxPairs: 1 })).number).toBe(stale);
    expect(await hintOf(stale)).toBe(1);
  });

  it('only takes the city when the request or the pool is strict', async () => {
    const p = await pool();
    await number(p, '北京');
    expect(await claim({ pool: p, city: '上海', strict: true })).toMatchObject({
      number: null,
      refusal: 'no-numbers',
      city_strict: true,
    });
    const strictPool = await pool(true);
    await number(strictPool, '北京');
    expect((await claim({ pool: strictPool, city: '上海' })).refusal).toBe('no-numbers');
    expect((await claim({ pool: strictPool, city: '北京' })).city_strict).toBe(true);
  });

  it('skips unhealthy and released numbers, and numbers carrying A or B in either role', async () => {
    const p = await pool();
    await number(p, '杭州', { health: 'abnormal' });
    await number(p, '杭州', { released: true });
    const withA = await number(p, '杭州');
    const withBAsA = await number(p, '杭州');
    const free = await number(p, '杭州');
    await binding(p, free);
    await binding(p, free);
    await binding(p, withA, { a: '13800000001' });
    await binding(p, withBAsA, { a: '13900000001' });
    expect((await claim({ pool: p })).number).toBe(free);
  });

  it('an overdue binding neither loads a number nor blocks its parties', async () => {
    const p = await pool();
    const x = await number(p, '杭州');
    await binding(p, x, { a: '13800000001', expiresAt: new Date(now.getTime() - 1000) });
    expect((await claim({ pool: p, maxPairs: 1 })).number).toBe(x);
  });

  it('keeps to the capacity, the exclusions and a pinned number', async () => {
    const p = await pool();
    const full = await number(p, '杭州');
    const other = await number(p, '杭州');
    await binding(p, full);
    await binding(p, other);
    expect((await claim({ pool: p, maxPairs: 1 })).refusal).toBe('exhausted');
    expect((await claim({ pool: p, maxPairs: 2, exclude: [full] })).number).toBe(other);
    expect((await claim({ pool: p, pinned: full })).number).toBe(full);
    expect((await claim({ pool: p, pinned: full, maxPairs: 1 })).refusal).toBe('x-unavailable');
    expect((await claim({ pool: p, pinned: '13012345678' })).refusal).toBe('x-unavailable');
    expect((await claim({ pool: unique('FCNONE') })).refusal).toBe('no-pool');
  });

  it('passes over a number another claim holds (SKIP LOCKED) instead of waiting for it', async () => {
    const p = await pool();
    const first = await number(p, '杭州');
    const second = await number(p, '杭州');
    await binding(p, second);
    const holder = await db.connect();
    try {
      await holder.query('BEGIN');
      expect((await claim({ pool: p }, holder)).number).toBe(first);
      // The first number is locked by the open transaction: the next claim takes the other.
      expect((await claim({ pool: p, a: '13800000002', b: '13900000002' })).number).toBe(second);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });
});

describe('claim_x(): numbers other claims hold', () => {
  /** A claim that never waits (a batch's): the number, or why none. */
  async function claimNoWait(
    poolKey: string,
  ): Promise<{ number: string | null; refusal: string | null }> {
    const { rows } = await db.query(
      `SELECT (c).number, (c).refusal
         FROM (SELECT claim_x($1, '13800000009', '13900000009', '杭州', false, NULL, '{}', 1, $2,
                              false) AS c) s`,
      [poolKey, now],
    );
    return rows[0];
  }

  it('answers busy when every number that could fit is held, never waiting; else what it found', async () => {
    const p = await pool();
    const full = await number(p, '杭州');
    const held = await number(p, '杭州');
    await binding(p, full);
    const holder = await db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secret_numbers WHERE number = $1 FOR UPDATE', [held]);
      // The full one is tried and let go; the held one is the only hope: busy.
      expect(await claimNoWait(p)).toEqual({ number: null, refusal: 'busy' });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await claimNoWait(p)).toEqual({ number: held, refusal: null });
    // (the full one was unlocked at once: another transaction can lock it without waiting)
    const other = await db.connect();
    try {
      await other.query('BEGIN');
      const { rows } = await other.query(
        'SELECT number FROM secret_numbers WHERE number = $1 FOR UPDATE NOWAIT',
        [full],
      );
      expect(rows).toHaveLength(1);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  it('waits for a held number when no free one fits, and takes it once its holder is done', async () => {
    const p = await pool();
    const held = await number(p, '杭州');
    const holder = await db.connect();
    const waiter = await db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secret_numbers WHERE number = $1 FOR UPDATE', [held]);
      const waiterPid = (await waiter.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const claimed = claim({ pool: p }, waiter);
      // (until the waiter is seen waiting for the holder's lock)
      for (;;) {
        const { rows } = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
          [waiterPid],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await holder.query('COMMIT');
      expect((await claimed).number).toBe(held);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      waiter.release();
    }
  });
});

describe('expire_bindings(): the one expire operation', () => {
  it('ends a live binding once, with one event carrying the state it left', async () => {
    const p = await pool();
    const x = await number(p, '杭州');
    const due = await binding(p, x, { state: 'pending', expiresAt: new Date(now.getTime() - 1) });
    const ahead = await binding(p, x);
    const expire = (ids: string[], onlyOverdue: boolean) =>
      db.query(
        `SELECT binding_id, previous_state
           FROM expire_bindings($1::uuid[], NULL, $2, 'test', '{"why": 1}', $3)`,
        [ids, now, onlyOverdue],
      );
    expect((await expire([due, ahead], true)).rows).toEqual([
      { binding_id: due, previous_state: 'pending' },
    ]);
    expect((await expire([due], false)).rows).toEqual([]);
    expect((await expire([ahead], false)).rows).toEqual([
      { binding_id: ahead, previous_state: 'active' },
    ]);
    const { rows } = await db.query(
      `SELECT binding_id, actor, details FROM binding_events WHERE binding_id = ANY($1::uuid[])
        ORDER BY id`,
      [[due, ahead]],
    );
    expect(rows).toEqual([
      { binding_id: due, actor: 'test', details: { why: 1, previousState: 'pending' } },
      { binding_id: ahead, actor: 'test', details: { why: 1, previousState: 'active' } },
    ]);
  });
});

describe('binding events belong to a binding (checked per statement)', () => {
  it('refuses an event of no binding with a foreign-key violation, and goes with its binding', async () => {
    await expect(
      db.query(
        `INSERT INTO binding_events (binding_id, kind, actor) VALUES (gen_random_uuid(), 'x', 'test')`,
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'binding_events_binding_id_fkey' });

    const p = await pool();
    const id = await binding(p, await number(p, '杭州'), { state: 'unbound' });
    await db.query(
      `INSERT INTO binding_events (binding_id, kind, actor) VALUES ($1, 'x', 'test')`,
      [id],
    );
    await db.query(`DELETE FROM bindings WHERE id = $1`, [id]);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM binding_events WHERE binding_id = $1`,
      [id],
    );
    expect(rows[0].n).toBe(0);
  });
});
