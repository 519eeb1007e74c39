import type pg from 'pg';
import { BARE_TABLE } from './bare-bind.module.js';

export const POOL_KEY = 'FCBINDBENCH';
const OTHER_POOL = 'FCBENCHOTHER';

/**
 * The bind benchmark's database between phases. `history(n)` gives the record a past once per
 * level: n ended bindings of the pool with their `created`, `bound` and `expired` events (as real
 * binds leave them), plus LIVE_ELSEWHERE live bindings of another pool, with statistics taken.
 * `resetPhase()` clears what the previous phase made (its bindings and bare rows) but keeps that
 * past, so each phase binds on a fresh pool next to the same history.
 */
export class BindFixture {
  private historySize = -1;

  constructor(
    private readonly sql: pg.Client,
    private readonly liveElsewhere: number,
  ) {}

  async history(size: number): Promise<void> {
    if (size === this.historySize) return;
    // The record's tables and what follows it (no foreign keys into the partitioned record to
    // cascade along).
    await this.sql.query(
      `TRUNCATE bindings, binding_events, binding_subscriptions, routed_counts, live_pairs,
                reconcile_queue, contact_windows, bench_bare_binds CASCADE`,
    );
    await this.sql.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [
      OTHER_POOL,
    ]);
    // Ended, over six months and 500 numbers (ended bindings hold no number).
    await this.sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, created_at, updated_at, ended_at)
       SELECT binding_id_at(t), $1, 'past-' || g, '150' || lpad(g::text, 8, '0'),
              '151' || lpad(g::text, 8, '0'), '130' || lpad((g % 500)::text, 8, '0'),
              'past-' || g, '杭州', 'expired', t + interval '30 minutes', t,
              t + interval '30 minutes', t + interval '30 minutes'
         FROM generate_series(1, $2::int) g,
              LATERAL (SELECT now() - interval '1 day' - (g % 180) * interval '1 day' AS t) s`,
      [POOL_KEY, size],
    );
    await this.sql.query(
      `INSERT INTO binding_events (binding_id, kind, actor, at, details)
       SELECT b.id, k.kind, 'bench', b.created_at + k.after, '{}'::jsonb
         FROM bindings b,
              (VALUES ('created', interval '0'), ('bound', interval '50 ms'),
                      ('expired', interval '30 minutes')) AS k(kind, after)
        WHERE b.pool_key = $1`,
      [POOL_KEY],
    );
    await this.sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, created_at, updated_at)
       SELECT binding_id_at(now()), $1, 'other-' || g, '152' || lpad(g::text, 8, '0'),
              '153' || lpad(g::text, 8, '0'), '177' || lpad((g % 100)::text, 8, '0'),
              'other-' || g, '杭州', 'active', now() + interval '1 day', now(), now()
         FROM generate_series(1, $2::int) g`,
      [OTHER_POOL, this.liveElsewhere],
    );
    this.historySize = size;
    await this.vacuum();
  }

  /** Before a phase: the previous phase's bindings and bare rows go; the history stays. */
  async resetPhase(): Promise<void> {
    await this.sql.query(`DELETE FROM bindings WHERE pool_key = $1 AND out_id NOT LIKE 'past-%'`, [
      POOL_KEY,
    ]);
    await this.sql.query('TRUNCATE bench_bare_binds');
    await this.sql.query('DELETE FROM secret_numbers');
    await this.sql.query('DELETE FROM x_load_hints');
    await this.vacuum();
  }

  static async createBareTable(sql: pg.Client): Promise<void> {
    await sql.query(BARE_TABLE);
  }

  private async vacuum(): Promise<void> {
    for (const table of [
      'bindings',
      'binding_events',
      'live_pairs',
      'reconcile_queue',
      'binding_subscriptions',
      'secret_numbers',
      'x_load_hints',
      'bench_bare_binds',
    ])
      await this.sql.query(`VACUUM ANALYZE ${table}`);
    // The seeded past's pages written out now, not by a checkpoint during the phase: a service's
    // history was checkpointed long ago (at HISTORY=1,000,000 the phases' p99 was ~1 s against
    // 0.3 s at 0, a 1M-row seed's flush under the binds the suspected cause).
    await this.sql.query('CHECKPOINT');
  }
}
