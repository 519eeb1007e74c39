-- Routing: cache invalidation for the pools' blacklists (issue 23). A routing target carries the
-- blacklist entries naming its parties (src/routing/routing-target.repository.ts), so an entry
-- added, changed or removed notifies the live bindings of its pool that have one of its numbers
-- as A or B ({"b": [...]}, through routing_cache_publish() of 060_routing_cache.sql). Ended
-- bindings answer "expired" before any blacklist is consulted: they need no notification.
-- Blacklist changes are rare (the safety team's actions); the bindings are found in the live
-- pairs (one row per live binding, with its pool, A and B: 020_live_pairs.sql), read once. The
-- record's A and B are not indexed (search and aging go through their keyed hashes: migration
-- 20261207060000_aging_hot_updates), and the live pairs are the live bindings only.

-- Notifies the live bindings of each (pool, number) pair that have the number as A or B.
CREATE OR REPLACE FUNCTION "routing_cache_publish_parties"(p_pools text[], p_numbers text[])
RETURNS void
LANGUAGE sql AS $$
    SELECT routing_cache_publish('b', ARRAY(
        SELECT DISTINCT to_json(p.binding_id)::text
          FROM unnest(p_pools, p_numbers) AS e(pool_key, number)
          JOIN live_pairs p ON p.pool_key = e.pool_key AND e.number IN (p.a, p.b)))
$$;

CREATE OR REPLACE FUNCTION "routing_cache_blacklist_changed"() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_pools text[];
    v_numbers text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
        RETURN NULL;
    END IF;
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(e.pool_key), array_agg(p.number) INTO v_pools, v_numbers
          FROM new_rows e, LATERAL (VALUES (e.phone), (e.peer_phone)) AS p(number)
         WHERE p.number IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(e.pool_key), array_agg(p.number) INTO v_pools, v_numbers
          FROM old_rows e, LATERAL (VALUES (e.phone), (e.peer_phone)) AS p(number)
         WHERE p.number IS NOT NULL;
    ELSE
        SELECT array_agg(e.pool_key), array_agg(p.number) INTO v_pools, v_numbers
          FROM (SELECT pool_key, phone, peer_phone FROM old_rows
                UNION SELECT pool_key, phone, peer_phone FROM new_rows) e,
               LATERAL (VALUES (e.phone), (e.peer_phone)) AS p(number)
         WHERE p.number IS NOT NULL;
    END IF;
    IF v_pools IS NOT NULL THEN
        PERFORM routing_cache_publish_parties(v_pools, v_numbers);
    END IF;
    RETURN NULL;
END $$;

-- The trigger function reads the statement's transition tables (whose plans are cached per
-- connection from their first run): no nested loops over them, as for every such function
-- (060_routing_cache.sql). The live pairs it notifies are read once, hashed against the entries.
ALTER FUNCTION routing_cache_blacklist_changed() SET enable_nestloop = off;
ALTER FUNCTION routing_cache_publish_parties(text[], text[]) RESET enable_nestloop;

CREATE OR REPLACE TRIGGER "pool_blacklist_routing_cache_insert" AFTER INSERT ON "pool_blacklist"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_blacklist_changed();
CREATE OR REPLACE TRIGGER "pool_blacklist_routing_cache_update" AFTER UPDATE ON "pool_blacklist"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_blacklist_changed();
CREATE OR REPLACE TRIGGER "pool_blacklist_routing_cache_delete" AFTER DELETE ON "pool_blacklist"
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_blacklist_changed();
CREATE OR REPLACE TRIGGER "pool_blacklist_routing_cache_truncate" AFTER TRUNCATE ON "pool_blacklist"
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_blacklist_changed();
