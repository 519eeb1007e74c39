-- Bindings: the bind path and the one expire operation, one round trip each
-- (src/bindings/placement.repository.ts, src/bindings/binding-expiry.repository.ts):
--   place_binding()    replay check by order, claim of X, expiry of overdue pairs on X, insert of
--                      the pending binding and its `created` event;
--   move_binding()     after a provider BIND_CONFLICT, the same binding onto the next X;
--   expire_bindings()  ends live bindings (the sweep's batches, and single ones found overdue).
-- Settling is one plain statement (src/bindings/settlement.repository.ts). The live pairs and the
-- reconciliation queue follow the record through their triggers (020, 040).

-- The one expire operation: ends live bindings, with one `expired` event each carrying
-- `p_details` and the state it left; returns what it ended. Which bindings:
--  - `p_ids`: those of them still live (and overdue at `p_now` when `p_only_overdue`), waiting for
--    any other writer of those rows; a bind, an update or a routing lookup ending one binding;
--  - `p_ids` NULL: up to `p_due_limit` overdue bindings, oldest first, that no other sweep has
--    taken (SKIP LOCKED), found through the live pairs' expiry index: a batch of the sweep.
-- A binding whose provider side was open stays queued for reconciliation's provider check
-- (040_reconcile_queue.sql), unless the caller has just asked the provider (`p_provider_checked`:
-- reconciliation, when QuerySubscriptionDetail reports it expired there).
-- The rows are locked first, so concurrent callers end each binding exactly once; the update is
-- by primary key and HOT (no column it writes is indexed), the events one set-based insert.
CREATE OR REPLACE FUNCTION expire_bindings(p_ids uuid[], p_due_limit integer, p_now timestamptz,
                                           p_actor text, p_details jsonb, p_only_overdue boolean,
                                           p_provider_checked boolean DEFAULT false)
RETURNS TABLE (binding_id uuid, previous_state binding_state)
LANGUAGE plpgsql AS $$
DECLARE
    v_ids uuid[];
    v_states binding_state[];
BEGIN
    IF p_ids IS NULL THEN
        SELECT array_agg(t.id), array_agg(t.state)
          INTO v_ids, v_states
          FROM (SELECT b.id, b.state
                  FROM live_pairs lp JOIN bindings b ON b.id = lp.binding_id
                 WHERE lp.expires_at <= p_now
                   -- Rechecked on the row's latest version when another sweep ended it after
                   -- this statement's snapshot (its pair, still seen here, is gone then).
                   AND binding_state_live(b.state)
                 ORDER BY lp.expires_at
                 LIMIT p_due_limit
                 FOR UPDATE OF b SKIP LOCKED) t;
    ELSE
        SELECT array_agg(t.id), array_agg(t.state)
          INTO v_ids, v_states
          FROM (SELECT b.id, b.state FROM bindings b
                 WHERE b.id = ANY (p_ids) AND binding_state_live(b.state)
                   AND (NOT p_only_overdue OR b.expires_at <= p_now)
                 FOR UPDATE) t;
    END IF;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;
    UPDATE bindings SET state = 'expired', ended_at = p_now, updated_at = p_now
     WHERE id = ANY (v_ids);
    IF p_provider_checked THEN
        DELETE FROM reconcile_queue q WHERE q.binding_id = ANY (v_ids);
    END IF;
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT t.id, 'expired', p_actor, p_now, p_details || jsonb_build_object('previousState', t.state)
      FROM unnest(v_ids, v_states) AS t(id, state);
    RETURN QUERY SELECT * FROM unnest(v_ids, v_states);
END $$;

-- Claims X for the pair (claim_x(), 020_live_pairs.sql) and, when it did, expires the live
-- bindings of A or B on that X that are overdue: their pairs are free at once, before any sweep.
CREATE OR REPLACE FUNCTION take_x(p_actor text, p_now timestamptz,
                                  p_pool text, p_a text, p_b text, p_city text,
                                  p_city_strict boolean, p_pinned text, p_exclude text[],
                                  p_max_pairs integer)
RETURNS x_claim
LANGUAGE plpgsql AS $$
DECLARE
    v_claim x_claim;
    v_overdue uuid[];
BEGIN
    v_claim := claim_x(p_pool, p_a, p_b, p_city, p_city_strict, p_pinned, p_exclude,
                       p_max_pairs, p_now);
    IF v_claim.number IS NOT NULL THEN
        v_overdue := ARRAY(SELECT lp.binding_id FROM live_pairs lp
                            WHERE lp.x = v_claim.number AND lp.a IN (p_a, p_b)
                              AND lp.expires_at <= p_now
                           UNION
                           SELECT lp.binding_id FROM live_pairs lp
                            WHERE lp.x = v_claim.number AND lp.b IN (p_a, p_b)
                              AND lp.expires_at <= p_now);
        IF cardinality(v_overdue) > 0 THEN
            PERFORM 1 FROM expire_bindings(v_overdue, NULL, p_now, p_actor,
                                           '{"reason": "pair reused after expiry"}', true);
        END IF;
    END IF;
    RETURN v_claim;
END $$;

-- What place_binding() and move_binding() answer: an outcome, and the binding's columns (NULL
-- when a claim was refused).
DROP TYPE IF EXISTS binding_placement CASCADE;
CREATE TYPE binding_placement AS (
    outcome text, id uuid, pool_key varchar, out_id varchar, phone_a varchar, phone_b varchar,
    phone_x varchar, subs_id varchar, city varchar, city_strict boolean, record boolean,
    state binding_state, expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
    ended_at timestamptz,
    -- call control and trip phase (issue 23; src/bindings/binding-row.ts)
    out_order_id varchar, call_restrict varchar, call_display_type smallint, call_timeout smallint,
    ring_config jsonb, dtmf_config jsonb, asr_status boolean, asr_model_id varchar,
    trip_ended_at timestamptz, contact_until timestamptz
);

-- Places the pending binding of an order, in one call:
--  1. one placement per order at a time, across instances (a transaction-scoped advisory lock on
--     the order), so the order's existing live binding is found before any X is considered: the
--     same order sent to two instances at once gives the second the first one's binding
--     ('replay'), never a clash with it. One already overdue is expired here and a new one made;
--  2. take_x(): claim_x() for the pair (its refusal is returned as the outcome), and the expiry
--     of overdue live bindings of A or B on that X;
--  3. the binding is inserted `pending` with its `created` event ('placed'); its live pair and
--     its place in the reconciliation queue follow (triggers). `p_call_control` holds the
--     BindAxb options the binding keeps (outOrderId, callRestrict, callDisplayType, callTimeout,
--     ringConfig, dtmfConfig, asrStatus, asrModelId; absent keys are NULL / false).
-- The live pairs' unique indexes remain the backstop for every invariant.
CREATE OR REPLACE FUNCTION place_binding(p_out_id text, p_record boolean,
                                         p_expires_at timestamptz, p_actor text, p_details jsonb,
                                         p_now timestamptz, p_pool text, p_a text, p_b text,
                                         p_city text, p_city_strict boolean, p_pinned text,
                                         p_exclude text[], p_max_pairs integer,
                                         p_call_control jsonb DEFAULT '{}')
RETURNS SETOF binding_placement
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_live live_pairs%ROWTYPE;
    v_claim x_claim;
    v_id uuid;
    v_refused binding_placement;
    v_cc jsonb := coalesce(p_call_control, '{}');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('axb-order:' || p_pool || ':' || p_out_id, 0));
    SELECT * INTO v_live FROM live_pairs lp WHERE lp.pool_key = p_pool AND lp.out_id = p_out_id;
    IF FOUND THEN
        IF v_live.expires_at > p_now THEN
            RETURN QUERY SELECT 'replay'::text, b.id, b.pool_key, b.out_id, b.phone_a, b.phone_b,
                                b.phone_x, b.subs_id, b.city, b.city_strict, b.record, b.state,
                                b.expires_at, b.created_at, b.updated_at, b.ended_at,
                                b.out_order_id, b.call_restrict, b.call_display_type,
                                b.call_timeout, b.ring_config, b.dtmf_config, b.asr_status,
                                b.asr_model_id, b.trip_ended_at, b.contact_until
                           FROM bindings b WHERE b.id = v_live.binding_id;
            RETURN;
        END IF;
        PERFORM 1 FROM expire_bindings(ARRAY[v_live.binding_id], NULL, p_now, p_actor,
                                       '{"reason": "order bound again after its expiry"}', true);
    END IF;

    v_claim := take_x(p_actor, p_now, p_pool, p_a, p_b, p_city, p_city_strict, p_pinned,
                      p_exclude, p_max_pairs);
    IF v_claim.number IS NULL THEN
        v_refused.outcome := v_claim.refusal;
        RETURN NEXT v_refused;
        RETURN;
    END IF;

    v_id := gen_random_uuid();
    INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, city, city_strict,
                          record, state, expires_at, created_at, updated_at,
                          out_order_id, call_restrict, call_display_type, call_timeout,
                          ring_config, dtmf_config, asr_status, asr_model_id)
    VALUES (v_id, p_pool, p_out_id, p_a, p_b, v_claim.number, p_city, v_claim.city_strict,
            p_record, 'pending', p_expires_at, p_now, p_now,
            v_cc ->> 'outOrderId', v_cc ->> 'callRestrict',
            (v_cc ->> 'callDisplayType')::smallint, (v_cc ->> 'callTimeout')::smallint,
            v_cc -> 'ringConfig', v_cc -> 'dtmfConfig',
            coalesce((v_cc ->> 'asrStatus')::boolean, false), v_cc ->> 'asrModelId');
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    VALUES (v_id, 'created', p_actor, p_now, p_details);
    RETURN QUERY SELECT 'placed'::text, v_id, p_pool::varchar, p_out_id::varchar, p_a::varchar,
                        p_b::varchar, v_claim.number::varchar, NULL::varchar, p_city::varchar,
                        v_claim.city_strict, p_record, 'pending'::binding_state, p_expires_at,
                        p_now, p_now, NULL::timestamptz,
                        (v_cc ->> 'outOrderId')::varchar, (v_cc ->> 'callRestrict')::varchar,
                        (v_cc ->> 'callDisplayType')::smallint, (v_cc ->> 'callTimeout')::smallint,
                        v_cc -> 'ringConfig', v_cc -> 'dtmfConfig',
                        coalesce((v_cc ->> 'asrStatus')::boolean, false),
                        (v_cc ->> 'asrModelId')::varchar, NULL::timestamptz, NULL::timestamptz;
END $$;

-- Moves a still-pending binding onto the next X after the provider refused its X with
-- isv.BIND_CONFLICT, in one call: take_x() excluding the numbers tried, the update and its
-- `attempt_failed` event. 'placed' with the moved binding, the claim's refusal, or
-- 'not-pending' when the binding has left `pending` meanwhile. (A move rewrites the record's
-- indexed phone_x, the one update of the bind path that is not HOT; it follows a provider
-- conflict only.)
CREATE OR REPLACE FUNCTION move_binding(p_id uuid, p_actor text, p_details jsonb,
                                        p_now timestamptz, p_pool text, p_a text, p_b text,
                                        p_city text, p_city_strict boolean, p_pinned text,
                                        p_exclude text[], p_max_pairs integer)
RETURNS SETOF binding_placement
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_state binding_state;
    v_claim x_claim;
BEGIN
    SELECT b.state INTO v_state FROM bindings b WHERE b.id = p_id FOR UPDATE;
    IF v_state IS DISTINCT FROM 'pending' THEN
        RETURN QUERY SELECT 'not-pending'::text, b.id, b.pool_key, b.out_id, b.phone_a, b.phone_b,
                            b.phone_x, b.subs_id, b.city, b.city_strict, b.record, b.state,
                            b.expires_at, b.created_at, b.updated_at, b.ended_at,
                            b.out_order_id, b.call_restrict, b.call_display_type,
                            b.call_timeout, b.ring_config, b.dtmf_config, b.asr_status,
                            b.asr_model_id, b.trip_ended_at, b.contact_until
                       FROM bindings b WHERE b.id = p_id;
        RETURN;
    END IF;

    v_claim := take_x(p_actor, p_now, p_pool, p_a, p_b, p_city, p_city_strict, p_pinned,
                      p_exclude, p_max_pairs);
    IF v_claim.number IS NOT NULL THEN
        UPDATE bindings b SET phone_x = v_claim.number, updated_at = p_now WHERE b.id = p_id;
        INSERT INTO binding_events (binding_id, kind, actor, at, details)
        VALUES (p_id, 'attempt_failed', p_actor, p_now, p_details);
    END IF;
    RETURN QUERY SELECT coalesce(v_claim.refusal, 'placed'), b.id, b.pool_key, b.out_id,
                        b.phone_a, b.phone_b, b.phone_x, b.subs_id, b.city, b.city_strict,
                        b.record, b.state, b.expires_at, b.created_at, b.updated_at, b.ended_at,
                        b.out_order_id, b.call_restrict, b.call_display_type, b.call_timeout,
                        b.ring_config, b.dtmf_config, b.asr_status, b.asr_model_id,
                        b.trip_ended_at, b.contact_until
                   FROM bindings b WHERE b.id = p_id;
END $$;

-- The bind path's functions run their statements with generic plans, cached per connection:
-- their statements branch on parameters, and the plan cache would otherwise plan them afresh
-- for every call.
ALTER FUNCTION take_x(text, timestamptz, text, text, text, text, boolean, text, text[], integer)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION place_binding(text, boolean, timestamptz, text, jsonb, timestamptz, text, text,
                             text, text, boolean, text, text[], integer, jsonb)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION move_binding(uuid, text, jsonb, timestamptz, text, text, text, text, boolean, text,
                            text[], integer)
    SET plan_cache_mode = force_generic_plan;
