-- Issue 11: no binding is ever stuck. Written by hand (functions, partial indexes).
--
-- 1. `unbinding` (added by 20261123070000_unbinding_state) is a live state: it holds the order's
--    outId and its (X, A) / (X, B) pairs, so a replay of the order finds it instead of binding
--    anew, and no other bind takes its pairs while the provider may still hold them. The one
--    definition, binding_state_live(), the live partial indexes and the live-X check list it
--    together (src/bindings/binding-states.ts LIVE_STATES is the TypeScript twin;
--    test/database/bind-path-sql.test.ts checks that all of them agree).
-- 2. Reconciliation never gives up: each binding carries its own retry bookkeeping.
--    `reconcile_attempts` counts the failed attempts since the binding last changed state, and
--    `reconcile_after` is when the next may start (NULL: no attempt has failed yet, so a live
--    unsettled binding is due once it is older than the grace period; see
--    src/scheduler/reconciliation.repository.ts, the one SQL definition of "awaiting
--    reconciliation"). A run leases a binding by moving `reconcile_after` past the length of its
--    provider calls, so instances never reconcile one binding at once, no row lock is held across
--    a provider call, and a crash mid-binding only delays it by the lease.
-- 3. A binding that ends by expiry while its provider side was open (pending, unknown,
--    unbinding) is expired at once as before (its pairs are free), and keeps `reconcile_after`
--    set: reconciliation then checks that nothing is left live at the provider (unbinding it there
--    if something is) and clears it.

ALTER TABLE "bindings"
    ADD COLUMN "reconcile_attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "reconcile_after" TIMESTAMPTZ(3);

-- place_binding() and move_binding() answer a binding's columns as `binding_placement` (the
-- outcome, then the row): it takes the two new columns too, and place_binding()'s refusal row
-- names them (otherwise unchanged from 20261123010000_bind_path_functions; CREATE OR REPLACE
-- drops a function's settings, so its generic-plan setting is given again).
ALTER TYPE binding_placement
    ADD ATTRIBUTE reconcile_attempts integer,
    ADD ATTRIBUTE reconcile_after timestamptz;

CREATE OR REPLACE FUNCTION place_binding(p_out_id text, p_record boolean, p_expires_at timestamptz,
                              p_actor text, p_details jsonb, p_now timestamptz,
                              p_pool text, p_a text, p_b text, p_city text, p_city_strict boolean,
                              p_pinned text, p_exclude text[], p_max_pairs integer)
RETURNS SETOF binding_placement
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_row bindings%ROWTYPE;
    v_claim x_claim;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('axb-order:' || p_pool || ':' || p_out_id, 0));
    SELECT * INTO v_row FROM bindings b
     WHERE b.pool_key = p_pool AND b.out_id = p_out_id AND binding_state_live(b.state);
    IF FOUND THEN
        IF v_row.expires_at > p_now THEN
            RETURN QUERY SELECT 'replay'::text, v_row.*;
            RETURN;
        END IF;
        PERFORM 1 FROM expire_bindings(ARRAY[v_row.id], NULL, p_now, p_actor,
                                       '{"reason": "order bound again after its expiry"}', true);
    END IF;

    v_claim := take_x(p_actor, p_now, p_pool, p_a, p_b, p_city, p_city_strict, p_pinned,
                      p_exclude, p_max_pairs);
    IF v_claim.number IS NULL THEN
        RETURN NEXT ROW(v_claim.refusal, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::binding_placement;
        RETURN;
    END IF;

    INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, city, city_strict,
                          record, state, expires_at, created_at, updated_at)
    VALUES (gen_random_uuid(), p_pool, p_out_id, p_a, p_b, v_claim.number, p_city,
            v_claim.city_strict, p_record, 'pending', p_expires_at, p_now, p_now)
    RETURNING * INTO v_row;
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    VALUES (v_row.id, 'created', p_actor, p_now, p_details);
    RETURN QUERY SELECT 'placed'::text, v_row.*;
END $$;
ALTER FUNCTION place_binding(text, boolean, timestamptz, text, jsonb, timestamptz, text, text, text,
                             text, boolean, text, text[], integer)
    SET plan_cache_mode = force_generic_plan;

-- ─── `unbinding` is live ────────────────────────────────────────────────────────────────────────
CREATE OR REPLACE FUNCTION binding_state_live(s binding_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT s IN ('pending', 'active', 'unknown', 'unbinding') $$;

-- The partial indexes and the check spell the states out, as before; their predicates are
-- otherwise those of 20261123010000_bind_path_functions and 20261122050000_init.
DROP INDEX "bindings_live_out_id_key";
CREATE UNIQUE INDEX "bindings_live_out_id_key" ON "bindings"("pool_key", "out_id")
    WHERE "state" IN ('pending', 'active', 'unknown', 'unbinding') AND "out_id" IS NOT NULL;
DROP INDEX "bindings_live_x_a_key";
CREATE UNIQUE INDEX "bindings_live_x_a_key" ON "bindings"("phone_x", "phone_a")
    WHERE "state" IN ('pending', 'active', 'unknown', 'unbinding') AND "phone_x" IS NOT NULL;
DROP INDEX "bindings_live_x_b_key";
CREATE UNIQUE INDEX "bindings_live_x_b_key" ON "bindings"("phone_x", "phone_b")
    WHERE "state" IN ('pending', 'active', 'unknown', 'unbinding') AND "phone_x" IS NOT NULL;
DROP INDEX "bindings_live_expires_at_idx";
CREATE INDEX "bindings_live_expires_at_idx" ON "bindings"("expires_at")
    WHERE "state" IN ('pending', 'active', 'unknown', 'unbinding') AND "expires_at" IS NOT NULL;

ALTER TABLE "bindings" DROP CONSTRAINT "bindings_live_x_check";
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_live_x_check"
    CHECK ("phone_x" IS NOT NULL OR "state" NOT IN ('pending', 'active', 'unknown', 'unbinding'))
    NOT VALID;

-- ─── what reconciliation looks at ──────────────────────────────────────────────────────────────
-- Bindings whose provider side is open (pending, unknown, unbinding) or, once ended, still to be
-- checked there (reconcile_after set): few at any time, found without touching the rest.
DROP INDEX "bindings_unsettled_updated_at_idx";
CREATE INDEX "bindings_reconcile_idx" ON "bindings"("updated_at")
    WHERE "state" IN ('pending', 'unknown', 'unbinding') OR "reconcile_after" IS NOT NULL;

-- ─── the one expire operation ──────────────────────────────────────────────────────────────────
-- As in 20261123010000_bind_path_functions, plus: a binding whose provider side was open when it
-- expired is left due for reconciliation's provider check (reconcile_after = p_now), unless the
-- caller has just asked the provider itself (p_provider_checked: reconciliation, when
-- QuerySubscriptionDetail reports the binding expired there). Every other binding ends with no
-- reconciliation left to do.
DROP FUNCTION expire_bindings(uuid[], integer, timestamptz, text, jsonb, boolean);
CREATE FUNCTION expire_bindings(p_ids uuid[], p_due_limit integer, p_now timestamptz,
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
          FROM (SELECT b.id, b.state FROM bindings b
                 WHERE binding_overdue_at(b.state, b.expires_at, p_now)
                   AND b.expires_at <= p_now -- the same, as the comparison the expiry index serves
                 ORDER BY b.expires_at
                 LIMIT p_due_limit
                 FOR UPDATE SKIP LOCKED) t;
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
    UPDATE bindings
       SET state = 'expired', ended_at = p_now, updated_at = p_now, reconcile_attempts = 0,
           reconcile_after = CASE WHEN state <> 'active' AND NOT p_provider_checked THEN p_now END
     WHERE id = ANY (v_ids);
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT t.id, 'expired', p_actor, p_now, p_details || jsonb_build_object('previousState', t.state)
      FROM unnest(v_ids, v_states) AS t(id, state);
    RETURN QUERY SELECT * FROM unnest(v_ids, v_states);
END $$;
