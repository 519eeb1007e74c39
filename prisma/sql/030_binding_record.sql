-- Bindings: the record. `bindings` holds every binding ever made and its current state;
-- `binding_events` what happened to it, who or what caused it, and when (invariant 5);
-- `binding_subscriptions` the provider's SubsId of each, as learnt.

-- An event belongs to a binding, checked once per statement instead of once per row. A foreign
-- key runs a query (through SPI) and takes a row lock for every event, and a batch of the expiry
-- sweep writes thousands of them; the set-based check (one anti-join) keeps the same rule and its
-- error code, and a deleted binding still takes its events with it.
CREATE OR REPLACE FUNCTION binding_events_check_binding() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_missing uuid;
BEGIN
    -- expire_bindings(), place_bindings() and settle_bound() insert events only for the bindings
    -- they have just inserted or updated (050_bind_path.sql)
    IF current_setting('axb.expire_followed', true) = 'on'
       OR current_setting('axb.bind_followed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT e.binding_id INTO v_missing FROM new_events e
     WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.id = e.binding_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'binding_events.binding_id % is not a binding', v_missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'binding_events',
                  CONSTRAINT = 'binding_events_binding_id_fkey';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "binding_events_binding_inserted" AFTER INSERT ON "binding_events"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION binding_events_check_binding();
CREATE OR REPLACE TRIGGER "binding_events_binding_updated" AFTER UPDATE ON "binding_events"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION binding_events_check_binding();

-- A deleted binding takes what followed it along (the foreign keys' cascades, set-based: the
-- record's tables are partitioned, and a foreign key into a partitioned table would make every
-- month's drop check each referencing table; see migration 20261207020000_history_partitions).
-- Bindings are deleted only by the retention job (rows of the DEFAULT partition; a month's
-- partitions are dropped whole) and by tests.
CREATE OR REPLACE FUNCTION bindings_delete_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM binding_events e USING gone_bindings g WHERE e.binding_id = g.id;
    DELETE FROM routed_counts c USING gone_bindings g WHERE c.binding_id = g.id;
    DELETE FROM binding_subscriptions s USING gone_bindings g WHERE s.binding_id = g.id;
    DELETE FROM call_records c USING gone_bindings g WHERE c.binding_id = g.id;
    DELETE FROM call_progress p USING gone_bindings g WHERE p.binding_id = g.id;
    DELETE FROM live_pairs p USING gone_bindings g WHERE p.binding_id = g.id;
    DELETE FROM reconcile_queue q USING gone_bindings g WHERE q.binding_id = g.id;
    DELETE FROM contact_windows w USING gone_bindings g WHERE w.binding_id = g.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "bindings_deleted_events" AFTER DELETE ON "bindings"
    REFERENCING OLD TABLE AS gone_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION bindings_delete_events();

-- ─── what follows the record ──────────────────────────────────────────────────────────────────
-- One trigger per statement that inserts or updates bindings tells everything that follows the
-- record what changed, from one pass over the statement's rows (its transition tables):
--   the live pairs (inventory, 020_live_pairs.sql): a binding that became live, ended, or changed
--     X, parties, order or expiry while live;
--   the reconciliation queue (scheduler, 040_reconcile_queue.sql): a binding whose provider side
--     opened, moved between open states, expired while open, or was settled;
--   the SubsIds (binding_subscriptions, below): written once, when learnt (BindAxb answered,
--     reconciliation found it). The record's subs_id column is not indexed (settling writes it,
--     and its updates stay HOT), so lookups by SubsId (provider reports) go through that table;
--   the routing caches (routing, 060_routing_cache.sql): a settled binding whose routing columns
--     changed, or an order whose lookups may now find another binding.
-- One trigger instead of one per follower: a settle runs one pass and the two or three statements
-- it needs. The expire operation (expire_bindings(), 050_bind_path.sql) does the same for its own
-- update from the ids and states it already holds, and aims that update at the month partitions,
-- where this trigger does not fire (nor are the statement's old and new rows kept for it): a
-- sweep's batch of 5,000 no longer joins its old and new rows to learn what it knew. So do the
-- bind path's two writes (place_bindings() inserting pending bindings, settle_bound() recording
-- BindAxb's answers, 050_bind_path.sql), whose rows' changes are known before they are made: the
-- trigger skips them (`axb.bind_followed`) and each does its followers' few statements itself.
DROP FUNCTION IF EXISTS binding_subscriptions_follow_bindings() CASCADE;
DROP TRIGGER IF EXISTS "bindings_routing_cache_update" ON "bindings";

CREATE OR REPLACE FUNCTION bindings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_rows integer;
    v_began bindings[];
    v_ended uuid[];
    v_moved bindings[];
    v_queued bindings[];
    v_settled uuid[];
    v_subs bindings[];
    v_routed text[];
    v_orders text[];
BEGIN
    -- Privacy aging's update of ended bindings' numbers (src/history/phone-aging.repository.ts,
    -- which sets this around it, and updates no binding in a live state): nothing here follows
    -- it (each of its rows counts as `aging` below and leaves every follower alone).
    IF current_setting('axb.aging_followed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- The bind path's insert of pending bindings and its settle of BindAxb answers
    -- (place_bindings(), settle_bound(), 050_bind_path.sql) set this around their statements and
    -- do for their rows what this trigger would, from the values they hold.
    IF current_setting('axb.bind_followed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- The followers get the rows themselves (never read back from bindings: no plan that the
    -- table's statistics could make a scan of it).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n) FILTER (WHERE binding_state_live(n.state) AND n.phone_x IS NOT NULL),
               array_agg(n) FILTER (WHERE binding_state_open(n.state)),
               array_agg(n) FILTER (WHERE n.subs_id IS NOT NULL)
          INTO v_began, v_queued, v_subs
          FROM new_rows n;
    ELSE
        SELECT count(*) FILTER (WHERE NOT c.aging),
               array_agg(c.n) FILTER (WHERE c.is_live AND NOT c.was_live),
               array_agg(c.id) FILTER (WHERE c.was_live AND NOT c.is_live),
               array_agg(c.n) FILTER (WHERE c.was_live AND c.is_live AND c.pair_moved),
               array_agg(c.n) FILTER (WHERE c.state_changed
                                         AND (c.is_open OR (c.was_open AND c.state = 'expired'))),
               array_agg(c.id) FILTER (WHERE c.state_changed AND c.was_open AND NOT c.is_open
                                         AND c.state <> 'expired'),
               array_agg(c.n) FILTER (WHERE c.subs_learnt),
               -- Caches hold only settled bindings: a pending or unknown one notifies nothing.
               -- Aging and erasure rewrite ended bindings' numbers only: nothing a cache holds.
               array_agg(to_json(c.id)::text) FILTER (WHERE c.was_settled AND c.routing_changed
                                                        AND NOT c.aging),
               array_agg(c.old_order) FILTER (WHERE c.order_changed OR c.relived)
                   || array_agg(c.new_order) FILTER (WHERE c.order_changed OR c.relived)
          INTO v_rows, v_began, v_ended, v_moved, v_queued, v_settled, v_subs, v_routed, v_orders
          FROM (SELECT n, n.id, n.state,
                       binding_state_live(o.state) AND o.phone_x IS NOT NULL AS was_live,
                       binding_state_live(n.state) AND n.phone_x IS NOT NULL AS is_live,
                       binding_state_open(o.state) AS was_open,
                       binding_state_open(n.state) AS is_open,
                       n.state <> o.state AS state_changed,
                       (n.pool_key, n.out_id, n.phone_x, n.phone_a, n.phone_b, n.expires_at)
                           IS DISTINCT FROM
                       (o.pool_key, o.out_id, o.phone_x, o.phone_a, o.phone_b, o.expires_at)
                           AS pair_moved,
                       n.subs_id IS NOT NULL AND n.subs_id IS DISTINCT FROM o.subs_id AS subs_learnt,
                       o.state NOT IN ('pending', 'unknown') AS was_settled,
                       -- (the call restriction too: a restricted caller is refused)
                       (n.state, n.phone_a, n.phone_b, n.phone_x, n.expires_at, n.subs_id,
                        n.pool_key, n.out_id, n.call_restrict)
                           IS DISTINCT FROM
                       (o.state, o.phone_a, o.phone_b, o.phone_x, o.expires_at, o.subs_id,
                        o.pool_key, o.out_id, o.call_restrict) AS routing_changed,
                       (n.pool_key, n.out_id) IS DISTINCT FROM (o.pool_key, o.out_id)
                           AS order_changed,
                       binding_state_live(n.state) AND NOT binding_state_live(o.state) AS relived,
                       (n.aged_at, n.erased_at) IS DISTINCT FROM (o.aged_at, o.erased_at)
                           AS aging,
                       json_build_array(o.pool_key, o.out_id)::text AS old_order,
                       json_build_array(n.pool_key, n.out_id)::text AS new_order
                  -- A FULL JOIN (an update has each row on both sides, so it is the inner
                  -- join): no nested loop can run one, so the plan cached from a one-row settle
                  -- is a hash or merge join, linear for a 5,000-row sweep too, without setting
                  -- enable_nestloop for the function and every statement it calls (the live
                  -- pairs' delete then hashed all of live_pairs for each batch of a sweep).
                  FROM new_rows n FULL JOIN old_rows o ON o.id = n.id) c;
    END IF;

    -- Pairs end before others begin, so a statement that hands a pair on never meets itself.
    IF v_ended IS NOT NULL THEN PERFORM live_pairs_end(v_ended); END IF;
    IF v_moved IS NOT NULL THEN PERFORM live_pairs_move(v_moved); END IF;
    IF v_began IS NOT NULL THEN PERFORM live_pairs_begin(v_began); END IF;
    IF v_settled IS NOT NULL THEN PERFORM reconcile_queue_settle(v_settled); END IF;
    IF v_queued IS NOT NULL THEN PERFORM reconcile_queue_enqueue(v_queued); END IF;
    IF v_subs IS NOT NULL THEN
        INSERT INTO binding_subscriptions (subs_id, binding_id, learnt_at)
        SELECT (r).subs_id, (r).id, (r).updated_at FROM unnest(v_subs) r
        ON CONFLICT DO NOTHING;
    END IF;
    IF v_rows > routing_cache_max_keys() THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
    ELSE
        IF v_routed IS NOT NULL THEN PERFORM routing_cache_publish('b', v_routed); END IF;
        IF v_orders IS NOT NULL THEN
            PERFORM routing_cache_publish('o', ARRAY(SELECT DISTINCT unnest(v_orders)));
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "bindings_record_inserted" AFTER INSERT ON "bindings"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bindings_changed();
CREATE OR REPLACE TRIGGER "bindings_record_updated" AFTER UPDATE ON "bindings"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bindings_changed();
