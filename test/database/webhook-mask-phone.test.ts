import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone } from '../../src/common/privacy/mask-phone.js';
import type { PrismaService } from '../../src/prisma/prisma.service.js';
import { openPrisma } from '../support/prisma.js';

let prisma: PrismaService;
beforeAll(async () => {
  prisma = await openPrisma();
});
afterAll(async () => {
  await prisma.onModuleDestroy();
});

/**
 * The outbox triggers mask numbers in SQL (webhook_mask_phone, prisma/sql/080_webhook_outbox.sql):
 * it must mask exactly as src/common/privacy/mask-phone.ts does, so a webhook never carries more
 * of a number than a log line.
 */
describe('webhook_mask_phone() and maskPhone() agree', () => {
  it('on phone-like and arbitrary strings', async () => {
    const phones = fc.oneof(
      fc.stringMatching(/^1[3-9]\d{9}$/),
      fc.stringMatching(/^0\d{2,3}-?\d{7,8}$/),
      fc.stringMatching(/^\+?86 ?\d{3} ?\d{4} ?\d{4}$/),
      fc.string({ minLength: 1, maxLength: 24 }),
    );
    const samples = fc.sample(phones, { numRuns: 400, seed: 24 });
    const { rows } = await prisma.pgPool.query<{ masked: string | null }>(
      'SELECT webhook_mask_phone(p) AS masked FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i',
      [samples],
    );
    samples.forEach((phone, i) =>
      expect(rows[i]!.masked ?? '', JSON.stringify(phone)).toBe(maskPhone(phone)),
    );
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
});

/**
 * The binding trigger calls webhook_mask_phone three times per event, inside the bind's own
 * transaction. A `LANGUAGE sql` function that cannot be inlined (a sub-select, as it had) is
 * planned again at every statement that calls it: that was more than half of what an event cost
 * a bind (README: Benchmarks, webhooks). plpgsql keeps its plans for the session.
 */
describe("the outbox trigger's helpers keep their plans", () => {
  it('webhook_mask_phone and webhook_wanted_types are plpgsql', async () => {
    const { rows } = await prisma.pgPool.query<{ proname: string; lang: string }>(
      `SELECT p.proname, l.lanname AS lang FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.proname IN ('webhook_mask_phone', 'webhook_wanted_types') ORDER BY p.proname`,
    );
    expect(rows).toEqual([
      { proname: 'webhook_mask_phone', lang: 'plpgsql' },
      { proname: 'webhook_wanted_types', lang: 'plpgsql' },
    ]);
  });

  it("reads a bind's binding with a generic plan, kept for the session", async () => {
    // (a custom plan, made for each call's id, planned the lookup over every partition of
    // bindings: ~70 µs a read against ~10 µs)
    const { rows } = await prisma.pgPool.query<{ lang: string; config: string[] | null }>(
      `SELECT l.lanname AS lang, p.proconfig AS config
         FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.proname = 'webhook_binding_row'`,
    );
    expect(rows).toEqual([{ lang: 'plpgsql', config: ['plan_cache_mode=force_generic_plan'] }]);
    const { rows: made } = await prisma.pgPool.query<{ src: string }>(
      `SELECT prosrc AS src FROM pg_proc WHERE proname = 'webhook_events_from_binding_events'`,
    );
    expect(made[0]!.src).toContain('webhook_binding_row(v_event.binding_id)');
  });
});

/**
 * The binding trigger makes a one-event statement's event (every bind's) on a path of its own,
 * whose plans are kept for the session, and several events' set-wise: both must make the same
 * events, payloads and all.
 */
describe('the binding trigger, one event a statement or several', () => {
  it('makes the same events', async () => {
    const kinds: Array<[string, Record<string, unknown>]> = [
      ['created', {}],
      ['bound', {}],
      ['updated', { changed: { phoneB: { from: '13800000001', to: '13800000002' }, ttl: {} } }],
      ['updated', { changed: ['expiresAt'] }],
      ['routed', {}],
      ['trip_ended', {}],
      ['unbind_requested', { reason: 'contact window closed' }],
      ['unbind_requested', { reason: 'order service' }],
      ['expired', { previousState: 'unbinding' }],
      ['expired', {}],
      ['reconciled', {}],
    ];
    const client = await prisma.pgPool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
         VALUES (gen_random_uuid(), 'http://receiver.test/', $1, 'whsec_x', now(), now())`,
        [['binding.created', 'binding.changed', 'binding.ended']],
      );
      await client.query(`INSERT INTO pools (key) VALUES ('TRIGGERPATHS') ON CONFLICT DO NOTHING`);
      const { rows: bindings } = await client.query<{ id: string }>(
        `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, state, expires_at, ended_at)
         SELECT gen_random_uuid(), 'TRIGGERPATHS', 'paths-' || i, '13712345678', '13912345678',
                'expired', now(), now()
           FROM generate_series(1, 2) i
         RETURNING id`,
      );
      const [one, several] = bindings.map((b) => b.id);
      for (const [kind, details] of kinds)
        await client.query(
          `INSERT INTO binding_events (binding_id, kind, actor, details) VALUES ($1, $2, 'test', $3)`,
          [one, kind, details],
        );
      await client.query(
        `INSERT INTO binding_events (binding_id, kind, actor, details)
         SELECT $1, k, 'test', d FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS x(k, d, i)
          ORDER BY i`,
        [several, kinds.map(([k]) => k), kinds.map(([, d]) => JSON.stringify(d))],
      );
      const events = async (bindingId: string) =>
        (
          await client.query<{ type: string; data: Record<string, unknown> }>(
            `SELECT type, data - 'bindingId' - 'outId' AS data FROM webhook_events
              WHERE binding_id = $1 ORDER BY id`,
            [bindingId],
          )
        ).rows;
      const made = await events(one!);
      expect(made.map((e) => e.type)).toEqual([
        'binding.created',
        'binding.changed',
        'binding.changed',
        'binding.changed',
        'binding.ended',
        'binding.ended',
        'binding.ended',
        'binding.ended',
      ]);
      expect(made[1]!.data).toMatchObject({ change: ['phoneB', 'ttl'], phoneA: '137****5678' });
      expect(made[3]!.data).toHaveProperty('contactUntil');
      expect(made.slice(4).map((e) => e.data.cause)).toEqual([
        'contact_window_closed',
        'unbound',
        'expired',
        'reconciled',
      ]);
      expect(await events(several!)).toEqual(made);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

/**
 * settle_bound() writes its `bound` events' outbox rows itself, from the rows its update returns
 * (the trigger skips the bind path's statements): they must be what the trigger makes for the
 * same event, payload and all, and none when no endpoint wants binding.created.
 */
describe("settle_bound's outbox rows", () => {
  it("are the trigger's, in the same transaction", async () => {
    const client = await prisma.pgPool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO pools (key) VALUES ('SETTLEHOOKS') ON CONFLICT DO NOTHING`);
      const pending = async (n: number, x: string) =>
        (
          await client.query<{ id: string }>(
            `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, state,
                                   expires_at)
             SELECT binding_id_at(now()), 'SETTLEHOOKS', 'settle-' || gen_random_uuid(),
                    '1371234' || lpad(i::text, 4, '0'), '1391234' || lpad(i::text, 4, '0'), $2, 'pending',
                    now() + interval '1 hour'
               FROM generate_series(1, $1::int) i
             RETURNING id`,
            [n, x],
          )
        ).rows.map((r) => r.id);
      const settle = (ids: string[]) =>
        client.query(`SELECT count(*) FROM settle_bound($1::jsonb, now())`, [
          JSON.stringify(
            ids.map((id, i) => ({ id, subs: `S-${id}`, actor: `a${i}`, details: {} })),
          ),
        ]);
      const hooks = async (ids: string[]) =>
        (
          await client.query<{ type: string; binding_id: string; data: Record<string, unknown> }>(
            `SELECT type, binding_id, data FROM webhook_events WHERE binding_id = ANY ($1::uuid[])
              ORDER BY id`,
            [ids],
          )
        ).rows;

      // no endpoint: no rows
      const none = await pending(2, '17012340001');
      await settle(none);
      expect(await hooks(none)).toEqual([]);

      await client.query(
        `INSERT INTO webhook_endpoints (id, url, events, secret, created_at, updated_at)
         VALUES (gen_random_uuid(), 'http://receiver.test/', $1, 'whsec_x', now(), now())`,
        [['binding.created']],
      );
      const settled = await pending(3, '17012340002');
      await settle(settled);
      const made = await hooks(settled);
      expect(made.map((e) => [e.type, e.binding_id]).sort()).toEqual(
        settled.map((id) => ['binding.created', id]).sort(),
      );
      // the trigger's rows for the same bindings' `bound` events, written through the parent
      const { rows: byTrigger } = await client.query<{ binding_id: string; data: unknown }>(
        `WITH e AS (INSERT INTO binding_events (binding_id, kind, actor, details)
                    SELECT u.id, 'bound', 'a' || (u.i - 1), '{}' FROM unnest($1::uuid[])
                      WITH ORDINALITY AS u(id, i))
         SELECT 1`,
        [settled],
      );
      expect(byTrigger).toHaveLength(1);
      const again = (await hooks(settled)).slice(made.length);
      expect(again).toHaveLength(settled.length);
      for (const row of made) {
        const twin = again.find((e) => e.binding_id === row.binding_id)!;
        expect(row.data).toEqual(twin.data);
        expect(row.data).toMatchObject({ state: 'active', phoneA: expect.stringMatching(/\*{4}/) });
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
