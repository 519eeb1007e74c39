import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from '../support/scratch-database.js';

/**
 * The call-control and trip-phase columns of `bindings` (issue 23) stay out of every index, so
 * the record's hot updates stay HOT (DESIGN: an update is HOT only when no indexed column
 * changes): settling, ending a trip and expiring a binding with call control set are HOT.
 * pg_stat_xact_user_tables counts the current transaction's updates at once (no stats delay).
 */
let db: { url: string; drop: () => Promise<void> };
let sql: pg.Client;

beforeAll(async () => {
  db = await createMigratedDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`INSERT INTO pools (key) VALUES ('FCHOT')`);
  await sql.query(
    `INSERT INTO secret_numbers (pool_key, number, spec, city) VALUES ('FCHOT', '13010000001', 2, '杭州')`,
  );
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

describe('call control on the record', () => {
  it('is in no index', async () => {
    const { rows } = await sql.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'bindings'`,
    );
    const columns = [
      'out_order_id',
      'call_restrict',
      'call_display_type',
      'call_timeout',
      'ring_config',
      'dtmf_config',
      'asr_status',
      'asr_model_id',
      'trip_ended_at',
      'contact_until',
    ];
    for (const { indexdef } of rows) {
      for (const column of columns) expect(indexdef, indexdef).not.toContain(column);
    }
  });

  it('keeps settling, ending a trip and expiring HOT updates', async () => {
    await sql.query('BEGIN');
    try {
      const item = {
        i: 0,
        outId: 'hot-1',
        record: true,
        expiresAt: new Date(Date.now() + 3_600_000),
        actor: 'test',
        details: {},
        pool: 'FCHOT',
        a: '13800000001',
        b: '13900000001',
        city: null,
        cityStrict: false,
        pinned: null,
        exclude: null,
        maxPairs: 200,
        callControl: {
          callRestrict: 'CONTROL_AX_DISABLE',
          asrStatus: true,
          asrModelId: 'm1',
          ringConfig: { AXBRing_A: '1' },
          callTimeout: 9,
          outOrderId: 'o-1',
        },
      };
      const { rows } = await sql.query<{ outcome: string; id: string; call_restrict: string }>(
        `SELECT outcome, id, call_restrict FROM place_bindings($1::jsonb, now(), true)`,
        [JSON.stringify([item])],
      );
      expect(rows[0]!.call_restrict).toBe('CONTROL_AX_DISABLE');
      expect(rows[0]!.outcome).toBe('placed');
      const id = rows[0]!.id;
      const stored = await sql.query(
        `SELECT call_restrict, asr_status, asr_model_id, ring_config, call_timeout, out_order_id
           FROM bindings WHERE id = $1`,
        [id],
      );
      expect(stored.rows[0]).toEqual({
        call_restrict: 'CONTROL_AX_DISABLE',
        asr_status: true,
        asr_model_id: 'm1',
        ring_config: { AXBRing_A: '1' },
        call_timeout: 9,
        out_order_id: 'o-1',
      });
      await sql.query(
        `UPDATE bindings SET state = 'active', subs_id = 'S1', updated_at = now() WHERE id = $1`,
        [id],
      );
      await sql.query(
        `UPDATE bindings SET call_restrict = 'CONTROL_BX_DISABLE', trip_ended_at = now(),
                contact_until = now() + interval '10 minutes', updated_at = now() WHERE id = $1`,
        [id],
      );
      await sql.query(
        `SELECT * FROM expire_bindings(ARRAY[$1::uuid], NULL, now(), 'test', '{}', false)`,
        [id],
      );
      // bindings is partitioned: the updates are counted on the partition holding the row.
      const stat = await sql.query<{ upd: number; hot: number }>(
        `SELECT sum(n_tup_upd)::int AS upd, sum(n_tup_hot_upd)::int AS hot
           FROM pg_stat_xact_user_tables
          WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'bindings'::regclass)`,
      );
      expect(stat.rows[0]!.upd).toBe(3);
      expect(stat.rows[0]!.hot).toBe(3);
    } finally {
      await sql.query('ROLLBACK');
    }
  });

  it('refuses values the API never writes', async () => {
    await sql.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at)
       VALUES (gen_random_uuid(), 'FCHOT', 'checks-1', '13800000002', '13900000002', 'failed',
               now() + interval '1 hour')`,
    );
    for (const [column, value] of [
      ['call_restrict', 'CONTROL_CLEAR_DISABLE'],
      ['call_display_type', '2'],
      ['call_timeout', '30'],
      ['asr_model_id', 'm-without-asr'],
      ['trip_ended_at', '2030-01-01T00:00:00Z'],
    ]) {
      await expect(
        sql.query(`UPDATE bindings SET ${column} = $1 WHERE out_id = 'checks-1'`, [value]),
        column,
      ).rejects.toThrow(/check constraint/);
    }
  });
});
