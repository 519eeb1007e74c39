import pg from 'pg';

/**
 * Puts `count` live bindings, all past their expiry, into an empty bindings table in one
 * statement each (generate_series), with the `created` and `bound` events a real bind leaves, so
 * the sweep works against realistic indexes. X numbers carry up to 200 pairs each, as in a pool.
 */
export async function seedDueBindings(url: string, poolKey: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The record and what follows it: no foreign keys into the partitioned record cascade.
    await client.query(
      `TRUNCATE binding_events, bindings, binding_subscriptions, routed_counts, live_pairs,
                reconcile_queue, contact_windows CASCADE`,
    );
    await client.query(`INSERT INTO pools (key) VALUES ($1) ON CONFLICT DO NOTHING`, [poolKey]);
    await client.query(
      `INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city, state,
                             expires_at, created_at, updated_at)
       SELECT binding_id_at(now() - interval '2 hours'), $1, 'order-' || g, '138' || lpad(g::text, 8, '0'),
              '139' || lpad(g::text, 8, '0'), '130' || lpad((g / 200)::text, 8, '0'),
              (1000000000000000 + g)::text, '杭州', 'active',
              now() - interval '1 second' - (g % 3600) * interval '1 second',
              now() - interval '2 hours', now() - interval '2 hours'
         FROM generate_series(1, $2::int) g`,
      [poolKey, count],
    );
    await client.query(
      `INSERT INTO binding_events (binding_id, kind, actor, at, details)
       SELECT id, k, 'bench', created_at, '{}'::jsonb
         FROM bindings, unnest(ARRAY['created', 'bound']) k`,
    );
    for (const table of ['bindings', 'binding_events', 'live_pairs', 'binding_subscriptions'])
      await client.query(`VACUUM ANALYZE ${table}`);
  } finally {
    await client.end();
  }
}
