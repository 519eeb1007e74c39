import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * Every invariant of DESIGN.md that the database carries, each by the constraint that carries
 * it: the violating write is refused, and (inside a transaction rolled back afterwards) the same
 * write goes through once that one constraint is removed, so each case tests its constraint and
 * not something else that happens to refuse the write.
 */
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;
let seq = 0;
const POOL = 'FCINVARIANTS';
const X = '17200000001';

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ($1)`, [POOL]);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ($1, $2, 2, '杭州')`,
    [POOL, X],
  );
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

interface Binding {
  outId?: string;
  a?: string;
  b?: string;
  x?: string | null;
  state?: string;
  subsId?: string | null;
}

/** INSERT of one binding; parties unique to it unless given. */
function insert(over: Binding = {}): string {
  seq += 1;
  const v = (s: string | null | undefined) => (s === null || s === undefined ? 'NULL' : `'${s}'`);
  return `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, state,
                                expires_at)
          VALUES (gen_random_uuid(), '${POOL}', ${v(over.outId ?? `inv-${seq}`)},
                  ${v(over.a ?? `1380${String(seq).padStart(7, '0')}`)},
                  ${v(over.b ?? `1390${String(seq).padStart(7, '0')}`)},
                  ${v(over.x === undefined ? X : over.x)},
                  ${v(over.subsId === undefined ? `S${seq}` : over.subsId)},
                  '${over.state ?? 'active'}', now() + interval '1 hour')`;
}

async function refused(statement: string): Promise<{ code?: string; constraint?: string }> {
  try {
    await sql.query(statement);
  } catch (error) {
    const e = error as pg.DatabaseError;
    return { code: e.code, constraint: e.constraint };
  }
  throw new Error(`not refused: ${statement}`);
}

/** Runs `statements` with `remove` applied first, in a transaction that is rolled back. */
async function withoutConstraint(remove: string, statements: string[]): Promise<void> {
  await sql.query('BEGIN');
  try {
    await sql.query(remove);
    for (const s of statements) await sql.query(s);
  } finally {
    await sql.query('ROLLBACK');
  }
}

interface Case {
  invariant: string;
  /** Writes that set the scene (kept). */
  setup: () => string[];
  /** The write that breaks the invariant. */
  violation: () => string;
  expected: { code: string; constraint?: string };
  /** DDL that removes the one constraint that refuses the write. */
  remove: string;
}

const CASES: Case[] = [
  {
    invariant: '1: at most one live binding per (pool, outId)',
    setup: () => [insert({ outId: 'order-one' })],
    violation: () => insert({ outId: 'order-one' }),
    expected: { code: '23505', constraint: 'live_pairs_order_key' },
    remove: 'DROP INDEX live_pairs_order_key',
  },
  {
    invariant: '2: never two live bindings on one X sharing A',
    setup: () => [insert({ a: '13811110000' })],
    violation: () => insert({ a: '13811110000' }),
    expected: { code: '23505', constraint: 'live_pairs_x_a_key' },
    remove: 'DROP INDEX live_pairs_x_a_key',
  },
  {
    invariant: '2: never two live bindings on one X sharing B',
    setup: () => [insert({ b: '13911110000' })],
    violation: () => insert({ b: '13911110000' }),
    expected: { code: '23505', constraint: 'live_pairs_x_b_key' },
    remove: 'DROP INDEX live_pairs_x_b_key',
  },
  {
    invariant: '2: a change of party is checked like a new binding',
    setup: () => [insert({ outId: 'change-1', a: '13822220000' }), insert({ outId: 'change-2' })],
    violation: () => `UPDATE bindings SET phone_a = '13822220000' WHERE out_id = 'change-2'`,
    expected: { code: '23505', constraint: 'live_pairs_x_a_key' },
    remove: 'DROP INDEX live_pairs_x_a_key',
  },
  {
    invariant: '2: an ended binding gives its pairs back only by ending (live pairs follow it)',
    setup: () => [insert({ outId: 'follow-1', a: '13833330000' })],
    // Without the trigger that keeps live_pairs, a live binding would hold no pair at all, and
    // nothing would stop a second one on its X: the insert below passes then.
    violation: () => insert({ outId: 'follow-2', a: '13833330000' }),
    expected: { code: '23505', constraint: 'live_pairs_x_a_key' },
    remove: 'DROP TRIGGER bindings_record_inserted ON bindings',
  },
  {
    invariant: '3: X is always chosen by us (a live binding has an X)',
    setup: () => [],
    violation: () => insert({ x: null, state: 'pending', subsId: null }),
    expected: { code: '23514', constraint: 'bindings_live_x_check' },
    remove: 'ALTER TABLE bindings DROP CONSTRAINT bindings_live_x_check',
  },
  {
    invariant: '3: an active binding exists at the provider (SubsId and X)',
    setup: () => [],
    violation: () => insert({ subsId: null }),
    expected: { code: '23514', constraint: 'bindings_active_check' },
    remove: 'ALTER TABLE bindings DROP CONSTRAINT bindings_active_check',
  },
  {
    invariant: '4: a caller is A or B, never both',
    setup: () => [],
    violation: () => insert({ a: '13844440000', b: '13844440000' }),
    expected: { code: '23514', constraint: 'bindings_parties_check' },
    remove: 'ALTER TABLE bindings DROP CONSTRAINT bindings_parties_check',
  },
  {
    invariant: '5: an event belongs to a binding',
    setup: () => [],
    violation: () =>
      `INSERT INTO binding_events (binding_id, kind, actor, details)
       VALUES (gen_random_uuid(), 'updated', 'test', '{}')`,
    expected: { code: '23503', constraint: 'binding_events_binding_id_fkey' },
    remove: 'DROP TRIGGER binding_events_binding_inserted ON binding_events',
  },
  {
    invariant: 'inventory: a number belongs to at most one pool while held',
    setup: () => [],
    violation: () =>
      `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ('${POOL}', '${X}', 2, '杭州')`,
    expected: { code: '23505', constraint: 'secret_numbers_held_number_key' },
    remove: 'DROP INDEX secret_numbers_held_number_key',
  },
];

describe('invariants the database enforces', () => {
  for (const c of CASES) {
    it(`${c.invariant}: ${c.expected.constraint} refuses the write, and only it`, async () => {
      for (const s of c.setup()) await sql.query(s);
      const violation = c.violation();
      expect(await refused(violation)).toEqual(c.expected);
      await withoutConstraint(c.remove, [violation]);
    });
  }

  it('3: a binding whose provider side is open is always awaiting reconciliation', async () => {
    const queued = async (outId: string) =>
      (
        await sql.query(
          `SELECT 1 FROM reconcile_queue q JOIN bindings b ON b.id = q.binding_id
            WHERE b.out_id = $1`,
          [outId],
        )
      ).rowCount;
    for (const state of ['pending', 'unknown', 'unbinding']) {
      await sql.query(insert({ outId: `open-${state}`, state, subsId: null }));
      expect(await queued(`open-${state}`), state).toBe(1);
    }
    await sql.query(
      `UPDATE bindings SET state = 'active', subs_id = 'S' WHERE out_id = 'open-pending'`,
    );
    expect(await queued('open-pending')).toBe(0);
    // Removing the trigger that keeps the queue, an open binding is forgotten.
    await sql.query('BEGIN');
    try {
      await sql.query('DROP TRIGGER bindings_record_inserted ON bindings');
      await sql.query(insert({ outId: 'open-forgotten', state: 'unknown', subsId: null }));
      expect(await queued('open-forgotten')).toBe(0);
    } finally {
      await sql.query('ROLLBACK');
    }
  });

  it('4: an ended binding holds no pair (it cannot be found live by its order)', async () => {
    await sql.query(insert({ outId: 'ends-1' }));
    await sql.query(
      `UPDATE bindings SET state = 'unbound', ended_at = now() WHERE out_id = 'ends-1'`,
    );
    const pairs = await sql.query(`SELECT 1 FROM live_pairs WHERE out_id = 'ends-1'`);
    expect(pairs.rowCount).toBe(0);
    await sql.query('BEGIN');
    try {
      await sql.query('DROP TRIGGER bindings_record_updated ON bindings');
      await sql.query(insert({ outId: 'ends-2' }));
      await sql.query(`UPDATE bindings SET state = 'unbound' WHERE out_id = 'ends-2'`);
      const kept = await sql.query(`SELECT 1 FROM live_pairs WHERE out_id = 'ends-2'`);
      expect(kept.rowCount).toBe(1);
    } finally {
      await sql.query('ROLLBACK');
    }
  });
});
