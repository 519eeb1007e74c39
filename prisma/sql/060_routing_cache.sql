-- Routing: cache invalidation. Every change that can change a routing answer notifies channel
-- `axb_routing_cache` in the transaction that makes it, so each instance's in-memory cache of
-- routing targets (src/routing/route-cache.ts) can answer without reading the database and still
-- never outlive a change made by any instance or process (API, scheduler, callbacks, psql).
--
-- Statement-level triggers with transition tables: one trigger run per statement, however many
-- rows it touches (the expiry sweep ends thousands of bindings per statement). Updates of
-- bindings are told by the record's trigger (bindings_changed(), 030_binding_record.sql), which
-- passes the keys here; deletes, truncation and the numbers' changes by the triggers below. A notification
-- carries one kind of key as JSON:
--   {"b": [binding id, ...]}        these bindings changed (state, parties, X, expiry, SubsId,
--                                    restriction), or a blacklist entry naming a party did
--   {"o": [[pool_key, out_id], ...]} lookups by order may now find another binding
--   {"x": [number, ...]}             these numbers changed health, state (held/released) or lock
--   {"all": true}                    drop everything (a very large statement, TRUNCATE)
-- A statement's keys are split over as many notifications as needed to keep each payload under
-- Postgres's 8000-byte limit; beyond routing_cache_max_keys() keys one "all" is sent instead.
-- Postgres delivers notifications only at commit, in commit order; a rolled-back change sends none.
--
-- Caches hold only settled bindings (active, or ended: unbound, expired, failed); a pending or
-- unknown binding is read afresh by every lookup. So the bind path notifies nothing: inserting a
-- binding (its id is new to every cache), moving a pending binding to another X, and settling it
-- (pending or unknown to active, failed, expired) change nothing a cache holds. Caches map an
-- order only to its active binding, and no other binding of that order can be inserted while it
-- lives (live_pairs_order_key); its ending notifies its id, which drops the mapping.
-- This matters for throughput: Postgres serialises the commits of notifying transactions (a
-- global lock held through the commit's WAL flush); binds do not take part in that.

-- Keys beyond this many in one statement are sent as {"all": true}: cheaper for every listener
-- than tens of thousands of keys, and rare (bulk maintenance, not the sweep's batches).
CREATE OR REPLACE FUNCTION "routing_cache_max_keys"() RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT 20000';

-- Sends `items` (each already a JSON value's text) as {"<kind>": [items]} in chunks of at most
-- ~7000 bytes of items (an item is at most ~800 bytes: two escaped VARCHAR(64) values).
CREATE OR REPLACE FUNCTION "routing_cache_publish"(kind text, items text[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    v_len integer := octet_length(items[1]) + 1;
    v_n integer := cardinality(items);
BEGIN
    IF items IS NULL OR cardinality(items) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(items) > routing_cache_max_keys() THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
        RETURN;
    END IF;
    -- Items all of one length (binding ids: a sweep's batch, 5,000 of them): the same chunks,
    -- cut by arithmetic instead of a running sum and three sorts of the items. Item n (from 1)
    -- is in chunk c when c * 7000 < n * v_len <= (c + 1) * 7000.
    IF v_len <= 7000 AND NOT EXISTS (SELECT 1 FROM unnest(items) AS u(item)
                                      WHERE octet_length(u.item) + 1 IS DISTINCT FROM v_len) THEN
        PERFORM pg_notify('axb_routing_cache',
                          '{"' || kind || '":['
                          || array_to_string(items[(c * 7000) / v_len + 1
                                                   : least(v_n, ((c + 1) * 7000) / v_len)], ',')
                          || ']}')
           FROM generate_series(0, (v_n * v_len - 1) / 7000) AS c;
        RETURN;
    END IF;
    PERFORM pg_notify('axb_routing_cache',
                      '{"' || kind || '":[' || string_agg(item, ',' ORDER BY n) || ']}')
       FROM (SELECT item, n,
                    (sum(octet_length(item) + 1) OVER (ORDER BY n) - 1) / 7000 AS chunk
               FROM unnest(items) WITH ORDINALITY AS u(item, n)) chunked
      GROUP BY chunk;
END $$;

-- routing_cache_publish('b', ...) for binding ids given as ids (the expiry sweep's batches, 5,000
-- of them): an id's JSON text is always 38 bytes, a comma after it, so the chunks are cut by
-- count (179 ids in ~7000 bytes), and the text of each is made in one pass (array_to_string),
-- without a text array of quoted ids first. A caller with more than routing_cache_max_keys() ids
-- sends {"all": true} instead (expire_bindings() does).
CREATE OR REPLACE FUNCTION "routing_cache_publish_ids"(ids uuid[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('axb_routing_cache',
                      '{"b":["' || array_to_string(ids[c * 179 + 1 : (c + 1) * 179], '","') || '"]}')
       FROM generate_series(0, (coalesce(cardinality(ids), 0) + 178) / 179 - 1) AS c;
END $$;

CREATE OR REPLACE FUNCTION "routing_cache_bindings_changed"() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
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

CREATE OR REPLACE FUNCTION "routing_cache_numbers_changed"() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
    ELSIF TG_OP = 'INSERT' THEN
        -- A number held again (bought back) gives its bindings a health where they had none.
        PERFORM routing_cache_publish('x', ARRAY(
            SELECT DISTINCT to_json(number)::text FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        -- Health, held/released, and locked (a locked X routes no call) change answers.
        PERFORM routing_cache_publish('x', ARRAY(
            SELECT DISTINCT to_json(k.number)::text
              FROM new_rows n JOIN old_rows o ON o.id = n.id,
                   LATERAL (VALUES (o.number), (n.number)) AS k(number)
             WHERE (n.health, n.state, n.number, n.locked_at IS NULL)
                   IS DISTINCT FROM (o.health, o.state, o.number, o.locked_at IS NULL)));
    ELSE
        PERFORM routing_cache_publish('x', ARRAY(
            SELECT DISTINCT to_json(number)::text FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

-- Its queries join the statement's transition tables (old_rows, new_rows), whose plans are cached
-- per connection from their first run: planned on a one-row settle, a nested loop would then be
-- used for a 5,000-row sweep (quadratic: seconds). Hash joins are right at every size.
ALTER FUNCTION routing_cache_numbers_changed() SET enable_nestloop = off;

CREATE OR REPLACE TRIGGER "bindings_routing_cache_delete" AFTER DELETE ON "bindings"
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_bindings_changed();
CREATE OR REPLACE TRIGGER "bindings_routing_cache_truncate" AFTER TRUNCATE ON "bindings"
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_bindings_changed();

CREATE OR REPLACE TRIGGER "secret_numbers_routing_cache_insert" AFTER INSERT ON "secret_numbers"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_numbers_changed();
CREATE OR REPLACE TRIGGER "secret_numbers_routing_cache_update" AFTER UPDATE ON "secret_numbers"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_numbers_changed();
CREATE OR REPLACE TRIGGER "secret_numbers_routing_cache_delete" AFTER DELETE ON "secret_numbers"
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_numbers_changed();
CREATE OR REPLACE TRIGGER "secret_numbers_routing_cache_truncate" AFTER TRUNCATE ON "secret_numbers"
    FOR EACH STATEMENT EXECUTE FUNCTION routing_cache_numbers_changed();
