-- The routing cache trigger says "live" through binding_state_live(), the one SQL definition,
-- instead of its own list of states (20261123040000_routing_cache_notify spelt them out before
-- `unbinding` existed, so its "becomes live again" test missed that state). Otherwise unchanged.
-- test/database/bind-path-sql.test.ts checks that no other function lists the live states.

CREATE OR REPLACE FUNCTION "routing_cache_bindings_changed"() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
    ELSIF TG_OP = 'UPDATE' THEN
        IF (SELECT count(*) FROM new_rows) > routing_cache_max_keys() THEN
            PERFORM pg_notify('axb_routing_cache', '{"all":true}');
        ELSE
            -- Rows a cache may hold (settled; `unbinding` passes too, which only sends one
            -- notification more) whose routing columns changed (not updated_at alone).
            PERFORM routing_cache_publish('b', ARRAY(
                SELECT to_json(n.id)::text
                  FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE o.state NOT IN ('pending', 'unknown')
                   AND (n.state, n.phone_a, n.phone_b, n.phone_x, n.expires_at, n.subs_id,
                        n.pool_key, n.out_id)
                       IS DISTINCT FROM
                       (o.state, o.phone_a, o.phone_b, o.phone_x, o.expires_at, o.subs_id,
                        o.pool_key, o.out_id)));
            -- A binding that moves to another order, or becomes live again, changes what its
            -- orders' lookups find (no code path does either today; cheap to cover).
            PERFORM routing_cache_publish('o', ARRAY(
                SELECT DISTINCT json_build_array(k.pool_key, k.out_id)::text
                  FROM new_rows n JOIN old_rows o ON o.id = n.id,
                       LATERAL (VALUES (o.pool_key, o.out_id), (n.pool_key, n.out_id))
                           AS k(pool_key, out_id)
                 WHERE (n.pool_key, n.out_id) IS DISTINCT FROM (o.pool_key, o.out_id)
                    OR (binding_state_live(n.state) AND NOT binding_state_live(o.state))));
        END IF;
    ELSE
        IF (SELECT count(*) FROM old_rows) > routing_cache_max_keys() THEN
            PERFORM pg_notify('axb_routing_cache', '{"all":true}');
        ELSE
            PERFORM routing_cache_publish('b', ARRAY(SELECT to_json(id)::text FROM old_rows));
            PERFORM routing_cache_publish('o', ARRAY(
                SELECT DISTINCT json_build_array(pool_key, out_id)::text FROM old_rows));
        END IF;
    END IF;
    RETURN NULL;
END $$;
