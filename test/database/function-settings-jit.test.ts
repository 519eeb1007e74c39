import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { explained } from '../support/auto-explain.js';

/**
 * A function that turns a plan type off (`SET enable_seqscan = off`, `enable_nestloop = off`)
 * prices that type at 1e10 in every statement under it, nested ones included: a trigger's or a
 * called function's read of a ten-row table that only a sequential scan can do. Such a plan is
 * past jit_above_cost, so a session with JIT on (psql, a job outside the service) compiled it at
 * every call: settle_bound() took ~50 ms a call against ~0.3 ms. The service's own sessions turn
 * JIT off (src/prisma/bounded-pool.ts); the functions must be safe in any session.
 */
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
});

afterAll(async () => {
  await client.end();
});

describe('functions that turn a plan type off', () => {
  it('each turns JIT off too', async () => {
    const { rows } = await client.query<{ name: string; config: string[] }>(
      `SELECT p.oid::regprocedure::text AS name, p.proconfig AS config FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c ~ '^enable_[a-z_]+=off$')`,
    );
    // (the bind path's and the routing triggers' functions among them: the query finds them)
    expect(rows.map((r) => r.name.split('(')[0])).toEqual(
      expect.arrayContaining(['settle_bound', 'place_bindings', 'claim_x']),
    );
    const withJit = rows.filter((r) => !r.config.includes('jit=off')).map((r) => r.name);
    expect(withJit).toEqual([]);
  });

  it('compile nothing in a session with JIT on', async (context) => {
    const { rows } = await client.query<{ available: boolean }>(
      'SELECT pg_jit_available() AS available',
    );
    // (a server built without LLVM compiles nothing whatever the settings: nothing to see)
    if (!rows[0]!.available) context.skip();
    const plans = await explained(inject('databaseUrl'), async (session) => {
      await session.query('SET jit = on');
      await session.query('SET jit_above_cost = 100000');
      await session.query(`SELECT * FROM settle_bound($1::jsonb, now())`, [
        JSON.stringify([
          { id: '00000000-0000-7000-8000-000000000001', subs: 's', actor: 't', details: {} },
        ]),
      ]);
    });
    // Without the function's own `jit = off`, webhook_wanted_types()'s read of the endpoints
    // under settle_bound() is priced at 1e10 and compiled.
    expect(plans.some((p) => p.includes('webhook_endpoints'))).toBe(true);
    expect(plans.filter((p) => /\bJIT:/.test(p))).toEqual([]);
  });
});
