import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaService } from '../../src/prisma/prisma.service.js';
import { explained } from '../support/auto-explain.js';
import { openPrisma, unique } from '../support/prisma.js';

/**
 * What a batch of the bind path saves, and what it must not: a batch's claims rank the pool once
 * (claim_x()'s `p_ranked`), yet each number's fit is still decided under its lock; settle_bound()
 * reads the record by its key whatever the statistics say (prisma/sql/020, 050).
 */
let prisma: PrismaService;
let db: pg.Pool;
const now = new Date();
const later = new Date(now.getTime() + 3_600_000);

beforeAll(async () => {
  prisma = await openPrisma();
  db = prisma.pgPool;
});

afterAll(async () => {
  await prisma.onModuleDestroy();
});

/** A pool with `count` numbers (the first `released` of them released): the pool and numbers. */
async function poolOf(count: number, released = 0): Promise<{ pool: string; xs: string[] }> {
  const pool = unique('FB');
  await db.query('INSERT INTO pools (key) VALUES ($1)', [pool]);
  const { rows } = await db.query<{ number: string }>(
    `INSERT INTO secret_numbers (pool_key, number, spec, city, state, released_at)
     SELECT $1, $2 || g, 2, '杭州',
            CASE WHEN g <= $4 THEN 'released' ELSE 'active' END::number_state,
            CASE WHEN g <= $4 THEN now() END
       FROM generate_series(1, $3::int) g
     RETURNING number`,
    [pool, unique('131'), count, released],
  );
  return { pool, xs: rows.map((r) => r.number).sort() };
}

/** Live bindings on X (active, or `state`), each with parties of its own: their ids. */
async function liveOn(pool: string, x: string, count: number, state = 'active'): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                           expires_at)
     SELECT gen_random_uuid(), $1, $2 || g, $3 || g, $4 || g, $5,
            CASE WHEN $6 = 'pending' THEN NULL ELSE $2 || g END, $6::binding_state, $7
       FROM generate_series(1, $8::int) g
     RETURNING id`,
    [pool, unique('ob-'), unique('136'), unique('135'), x, state, later, count],
  );
  return rows.map((r) => r.id);
}

/** place_bindings()' items: `count` binds of fresh orders and parties, two pairs a number. */
function placements(pool: string, count: number): object[] {
  return Array.from({ length: count }, (_, i) => ({
    i,
    outId: unique('bo-'),
    record: false,
    expiresAt: later,
    actor: 'test',
    details: {},
    pool,
    a: unique('137'),
    b: unique('139'),
    city: null,
    cityStrict: false,
    pinned: null,
    exclude: [],
    maxPairs: 2,
    callControl: {},
    owner: 'order',
    seesAll: false,
  }));
}

/**
 * claim_x() for a fresh pair, handed `ranked` (walked from its `from`th number on) and a batch
 * that placed a pair on `batchX`.
 */
async function claimFrom(
  pool: string,
  ranked: string[] | null,
  batchX: string[] = [],
  over: { pinned?: string; from?: number } = {},
): Promise<{
  number: string | null;
  refusal: string | null;
  ranked: string[] | null;
  pos: number | null;
}> {
  const { rows } = await db.query(
    `SELECT (c).number, (c).refusal, (c).ranked, (c).pos
       FROM (SELECT claim_x($1, $2, $3, NULL, false, $4, '{}', 2, $5, false, $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::int) AS c) s`,
    [
      pool,
      unique('137'),
      unique('134'),
      over.pinned ?? null,
      now,
      batchX,
      batchX.map(() => unique('133')),
      batchX.map(() => unique('132')),
      ranked,
      over.from ?? 1,
    ],
  );
  return rows[0];
}

describe("claim_x(): a batch's ranking handed on", () => {
  it('claims from the ranking it is handed, from `p_from` on and round from the top, each fit decided under the lock', async () => {
    const { pool, xs } = await poolOf(4, 1);
    const [released, full, batchs, free] = xs as [string, string, string, string];
    await liveOn(pool, full, 2);
    // The batch claimed the first; walked on from the second: the full one is counted and let
    // go, the released one is not held any more; where the claim stopped is handed back.
    const c = await claimFrom(pool, [batchs, full, released, free], [batchs], { from: 2 });
    expect(c).toMatchObject({ number: free, refusal: null, pos: 4, ranked: null });
    // Past the end, round from the top: the batch's own number again, its pair counted with the
    // live ones (1 of 2).
    const again = await claimFrom(pool, [batchs, full, released, free], [batchs], { from: 5 });
    expect(again).toMatchObject({ number: batchs, pos: 1 });
    // From the second of two: the full one, then round to the first.
    expect(await claimFrom(pool, [free, full], [], { from: 2 })).toMatchObject({
      number: free,
      pos: 1,
    });
    // Nothing that fits in the ranking: refused, as a claim that ranked itself would be.
    expect(await claimFrom(pool, [full], [])).toMatchObject({ number: null, refusal: 'exhausted' });
    // A number released since it was ranked cannot be told from one held (never waiting): busy,
    // and the bind is placed again alone, ranking the pool itself.
    expect(await claimFrom(pool, [full, released], [])).toMatchObject({ refusal: 'busy' });
  });

  it('hands on the ranking it made, least loaded first, and none when pinned', async () => {
    const { pool, xs } = await poolOf(3);
    const [a, b, c] = xs as [string, string, string];
    await db.query(
      `INSERT INTO x_load_hints (number, pairs, counted_at)
       VALUES ($1, 5, now()), ($2, 1, now()), ($3, 3, now())`,
      [a, b, c],
    );
    const claimed = await claimFrom(pool, null);
    expect(claimed).toMatchObject({ number: b, ranked: [b, c, a], pos: 1 });
    expect(await claimFrom(pool, null, [], { pinned: c })).toMatchObject({
      number: c,
      ranked: null,
      pos: null,
    });
  });

  it('places a batch over the pool as one claim after another would', async () => {
    const { pool, xs } = await poolOf(3);
    const items = placements(pool, 7);
    const { rows } = await db.query<{ outcome: string; phone_x: string | null }>(
      `SELECT outcome, phone_x FROM place_bindings($1::jsonb, $2, false) ORDER BY i`,
      [JSON.stringify(items), now],
    );
    // Three numbers of two pairs each: six placed, each number full, the last one claimed refused.
    expect(rows.map((r) => r.outcome).sort()).toEqual(['exhausted', ...Array(6).fill('placed')]);
    const perX = new Map<string, number>();
    for (const r of rows) if (r.phone_x) perX.set(r.phone_x, (perX.get(r.phone_x) ?? 0) + 1);
    expect([...perX.entries()].sort()).toEqual(xs.map((x) => [x, 2]));
  });

  it('reads the pool once for a batch, each later bind walking on from the last number claimed', async () => {
    const { pool, xs } = await poolOf(6);
    const items = placements(pool, 6);
    let placed: string[] = [];
    const plans = await explained(inject('databaseUrl'), async (client) => {
      const { rows } = await client.query<{ phone_x: string }>(
        `SELECT phone_x FROM place_bindings($1::jsonb, $2, false) ORDER BY i`,
        [JSON.stringify(items), now],
      );
      placed = rows.map((r) => r.phone_x);
    });
    // One ranking of the pool for the six binds (it reads every number: O(numbers)), and no
    // other statement that reads the pool or sorts a ranking again per bind.
    expect(
      plans.filter((t) => /Scan.* on secret_numbers n\b/.test(t) && /Sort/.test(t)),
    ).toHaveLength(1);
    expect(plans.filter((t) => /Function Scan on unnest/.test(t) && /Sort/.test(t))).toEqual([]);
    // Walked on: six binds over six equally loaded numbers, one each.
    expect([...placed].sort()).toEqual([...xs].sort());
  });
});

describe("claim_x(): the pool's ranking", () => {
  it("reads each number's hint by its key, never a join over every pool's hints", async () => {
    // Another pool's numbers with hints, many more than this pool's.
    const other = await poolOf(200);
    await db.query(
      `INSERT INTO x_load_hints (number, pairs, counted_at)
       SELECT number, 1, now() FROM unnest($1::text[]) AS number`,
      [other.xs],
    );
    const { pool, xs } = await poolOf(5);
    await db.query('ANALYZE x_load_hints');
    await db.query('ANALYZE secret_numbers');
    const plans = await explained(inject('databaseUrl'), async (client) => {
      await client.query('SET auto_explain.log_analyze = on');
      const { rows } = await client.query(
        `SELECT (c).number FROM (SELECT claim_x($1, $2, $3, NULL, false, NULL, '{}', 2, $4,
                                                false) AS c) s`,
        [pool, unique('137'), unique('134'), now],
      );
      expect(xs).toContain(rows[0].number);
    });
    const ranking = plans.find((t) => /Scan.* on secret_numbers n\b/.test(t) && /Sort/.test(t));
    expect(ranking).toBeDefined();
    // Planned as a join, a generic plan could merge the pool's numbers with the hints' whole
    // key, or hash all of them: per number, one probe of the key.
    expect(ranking).not.toMatch(/Join/);
    expect(ranking).toMatch(/SubPlan[\s\S]*Index Scan using x_load_hints_pkey[^\n]*loops=5\)/);
  });
});

describe('claim_x(): a pool at capacity', () => {
  it('refuses after counting at most 8 full numbers, and the next claim goes on to those not counted', async () => {
    const { pool, xs } = await poolOf(12);
    const ids = await Promise.all(xs.map((x) => liveOn(pool, x, 1)));
    // The last number's pair ends: only it has room (one pair a number).
    await db.query(`UPDATE bindings SET state = 'unbound', ended_at = now() WHERE id = $1`, [
      ids[11]![0],
    ]);
    const claim = async () => {
      const { rows } = await db.query(
        `SELECT (c).number, (c).refusal
           FROM (SELECT claim_x($1, $2, $3, NULL, false, NULL, '{}', 1, $4, true) AS c) s`,
        [pool, unique('137'), unique('134'), now],
      );
      return rows[0];
    };
    // Counting every pair of a full pool for every bind refused is what a pool at capacity
    // cannot afford: the claim stops after 8 numbers, each now ranked on its exact load.
    expect(await claim()).toMatchObject({ number: null, refusal: 'exhausted' });
    const { rows } = await db.query(
      `SELECT number, pairs FROM x_load_hints WHERE number = ANY ($1) ORDER BY number`,
      [xs],
    );
    expect(rows).toEqual(xs.slice(0, 8).map((number) => ({ number, pairs: 1 })));
    // The next claim ranks the numbers not counted since first, and finds the room.
    expect(await claim()).toMatchObject({ number: xs[11], refusal: null });
  });

  it('does not give up on numbers that carry a party of the pair: only full ones count', async () => {
    const { pool, xs } = await poolOf(10);
    const a = unique('138');
    // A already on the nine numbers ranked first (one pair each, room for more).
    await db.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                             expires_at)
       SELECT gen_random_uuid(), $1, $2 || '-' || x, $3, 'b' || right(x, 10), x, $2 || x,
              'active', $4
         FROM unnest($5::text[]) AS x`,
      [pool, unique('pa'), a, later, xs.slice(0, 9)],
    );
    const { rows } = await db.query(
      `SELECT (c).number, (c).refusal
         FROM (SELECT claim_x($1, $2, $3, NULL, false, NULL, '{}', 2, $4, true) AS c) s`,
      [pool, a, unique('134'), now],
    );
    expect(rows[0]).toMatchObject({ number: xs[9], refusal: null });
  });
});

describe('settle_bound(): the record by its key', () => {
  it('settles by probing the keys it is given, whatever the statistics were when its plan was made', async () => {
    const { pool, xs } = await poolOf(2);
    const settle = async (client: pg.Client, id: string) => {
      const { rows } = await client.query(`SELECT id, state FROM settle_bound($1::jsonb, $2)`, [
        JSON.stringify([{ id, subs: unique('sb'), actor: 'test', details: {} }]),
        now,
      ]);
      expect(rows).toEqual([{ id, state: 'active' }]);
    };
    const plans = await explained(inject('databaseUrl'), async (client) => {
      await client.query('SET auto_explain.log_analyze = on');
      // The connection's plan is made at its first settle, on the statistics of that moment...
      await settle(client, (await liveOn(pool, xs[0]!, 1, 'pending'))[0]!);
      // ...and kept while the month grows: 2,000 more bindings, none of them pending.
      await db.query(
        `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                               expires_at)
         SELECT binding_id_at(now()), $1, $2 || '-' || g, '136' || lpad(g::text, 8, '0'),
                '135' || lpad(g::text, 8, '0'), $3, $2 || '-' || g, 'active', $4
           FROM generate_series(1, 2000) g`,
        [pool, unique('og'), xs[1], later],
      );
      await settle(client, (await liveOn(pool, xs[0]!, 1, 'pending'))[0]!);
    });
    const updates = plans.filter((t) => t.includes('UPDATE bindings'));
    expect(updates).toHaveLength(2);
    // Each partition probed by the keys (a hash join over a scan of the month, sequential or of
    // its whole key, read every binding of it to settle one), and no row read only to be
    // filtered out.
    for (const update of updates) {
      expect(update).not.toMatch(/Seq Scan on bindings/);
      expect(update).toMatch(
        /Index Scan (using|on) bindings_\w+_pkey[^\n]*\n\s*Index Cond: \(id = ANY/,
      );
      expect(update).not.toMatch(/Rows Removed by Filter: [1-9]/);
    }
  });
});
