-- Inventory: the live pairs on each middle number X, and the claim of X for a new pair.
--
-- live_pairs has one row per live binding (X, A, B, its order, its expiry). Its unique indexes
-- carry invariants 1 and 2, and X's load is the count of its rows on X. It follows `bindings`
-- (the record) through the trigger below, whoever writes a binding: a binding that becomes live
-- gets its row, one that ends loses it, and a live one's changes of X, parties, order or expiry
-- are copied. Its rows are never updated on a hot path (settling changes only the record's
-- state; binding and expiring insert and delete rows), so its indexes cost only inserts.
-- A live binding past its expiry keeps its row until something expires it: a claim expires the
-- overdue bindings of A or B on the X it takes (take_x, 030_bind_path.sql), and the sweep the rest.

CREATE OR REPLACE FUNCTION live_pairs_follow_bindings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ended uuid[];
    v_moved uuid[];
    v_became uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
        SELECT n.id, n.pool_key, n.out_id, n.phone_x, n.phone_a, n.phone_b, n.expires_at
          FROM new_rows n
         WHERE binding_state_live(n.state) AND n.phone_x IS NOT NULL;
        RETURN NULL;
    END IF;
    -- UPDATE: one pass over the statement's rows says which pairs end, move or begin; then each
    -- change is one statement by primary key (= ANY of an array: an index scan, or a hashed
    -- filter, whatever the statistics say of the table's size).
    SELECT array_agg(c.id) FILTER (WHERE c.was AND NOT c.is),
           array_agg(c.id) FILTER (WHERE c.was AND c.is AND c.moved),
           array_agg(c.id) FILTER (WHERE c.is AND NOT c.was)
      INTO v_ended, v_moved, v_became
      FROM (SELECT n.id,
                   binding_state_live(o.state) AND o.phone_x IS NOT NULL AS was,
                   binding_state_live(n.state) AND n.phone_x IS NOT NULL AS is,
                   (n.pool_key, n.out_id, n.phone_x, n.phone_a, n.phone_b, n.expires_at)
                       IS DISTINCT FROM
                   (o.pool_key, o.out_id, o.phone_x, o.phone_a, o.phone_b, o.expires_at) AS moved
              FROM new_rows n JOIN old_rows o ON o.id = n.id) c;
    IF v_ended IS NOT NULL THEN
        DELETE FROM live_pairs WHERE binding_id = ANY (v_ended);
    END IF;
    IF v_moved IS NOT NULL THEN
        -- (Not a join: without nested loops it would hash the whole of live_pairs.)
        UPDATE live_pairs lp
           SET (pool_key, out_id, x, a, b, expires_at) =
               (SELECT n.pool_key, n.out_id, n.phone_x, n.phone_a, n.phone_b, n.expires_at
                  FROM new_rows n WHERE n.id = lp.binding_id)
         WHERE lp.binding_id = ANY (v_moved);
    END IF;
    IF v_became IS NOT NULL THEN
        INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
        SELECT n.id, n.pool_key, n.out_id, n.phone_x, n.phone_a, n.phone_b, n.expires_at
          FROM new_rows n
         WHERE n.id = ANY (v_became);
    END IF;
    RETURN NULL;
END $$;

-- Its queries join the statement's transition tables (old_rows, new_rows), whose plans are cached
-- per connection from their first run: planned on a one-row settle, a nested loop would then be
-- used for a 5,000-row sweep (quadratic: seconds). Hash joins are right at every size.
ALTER FUNCTION live_pairs_follow_bindings() SET enable_nestloop = off;

CREATE OR REPLACE TRIGGER "bindings_live_pairs_insert" AFTER INSERT ON "bindings"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION live_pairs_follow_bindings();
CREATE OR REPLACE TRIGGER "bindings_live_pairs_update" AFTER UPDATE ON "bindings"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION live_pairs_follow_bindings();

-- The live pairs X carries at `t` (an overdue one no longer counts): its load, for the admin reads
-- (list, stock, release, metrics) and for the claim.
CREATE OR REPLACE FUNCTION x_live_pairs(p_x text, p_now timestamptz) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT count(*)::int FROM live_pairs lp WHERE lp.x = p_x AND lp.expires_at > p_now
$$;

-- Whether A or B (in either role) is a party of a live pair on X at `t`: a caller must identify
-- exactly one binding per X, so neither may appear twice on one X (invariant 2 and more).
CREATE OR REPLACE FUNCTION x_carries_party(p_x text, p_a text, p_b text, p_now timestamptz)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM live_pairs lp
                    WHERE lp.x = p_x AND lp.a IN (p_a, p_b) AND lp.expires_at > p_now)
        OR EXISTS (SELECT 1 FROM live_pairs lp
                    WHERE lp.x = p_x AND lp.b IN (p_a, p_b) AND lp.expires_at > p_now)
$$;

-- The outcome of claim_x: the number claimed (locked for the caller's transaction), the city mode
-- that applied, or why none: no-pool, no-numbers (the pool holds none here), exhausted (none can
-- take this pair now), x-unavailable (the pinned number cannot), busy (not waiting, and every
-- number that could take it is being claimed by another transaction right now).
DROP TYPE IF EXISTS x_claim CASCADE;
CREATE TYPE x_claim AS (number text, city_strict boolean, refusal text);

-- Claims the best middle number of the pool for the pair (A, B) and locks its secret_numbers row
-- until the caller's transaction ends: held, healthy, of `p_city` when the pool or the request is
-- strict (else that city first), not in `p_exclude`, carrying neither A nor B, fewer than
-- `p_max_pairs` live pairs; least loaded (as last counted, x_load_hints) first. `p_pinned` allows
-- only that number. `p_batch_x/_a/_b`: pairs the caller's transaction has claimed numbers for but
-- not inserted yet (a batch of placements, inserted together): counted like live ones. A locked
-- number (LockSecretNo: secret_numbers.locked_at) is never claimed.
--
-- Concurrent binds first try numbers no other bind is placing a pair on right now (SKIP LOCKED),
-- so they spread over the pool instead of queueing on one number; then (`p_wait`) they wait for
-- the busy ones, or answer 'busy' (a batch never waits: see place_bindings()). Candidates are ranked on their last counted load; whether the pair fits (its exact load,
-- and no party of it on the number) is decided under the lock, where both are current. A number
-- that does not fit is unlocked at once (its sub-block is rolled back), so a claim holds at most
-- the one lock it returns, and claims cannot deadlock on each other.
--
-- x_load_hints: the load of each number as last counted, when a claim took it (its exact load
-- then, plus the pair that claim placed). Claims rank candidates on it instead of counting every
-- live pair of the pool per bind; whether a pair fits is always counted exactly, under the lock.
-- Only claims add pairs to a number and every claim refreshes its hint, so a hint is never below
-- the true load; pairs that end lower the true load only, and the next claim brings it down.
DROP FUNCTION IF EXISTS claim_x(text, text, text, text, boolean, text, text[], integer,
                                timestamptz);
CREATE OR REPLACE FUNCTION claim_x(p_pool text, p_a text, p_b text, p_city text,
                                   p_city_strict boolean, p_pinned text, p_exclude text[],
                                   p_max_pairs integer, p_now timestamptz,
                                   p_wait boolean DEFAULT true, p_batch_x text[] DEFAULT '{}',
                                   p_batch_a text[] DEFAULT '{}', p_batch_b text[] DEFAULT '{}')
RETURNS x_claim
LANGUAGE plpgsql AS $$
DECLARE
    v_strict boolean;
    v_number text;
    v_busy text[] := '{}';
    v_wait boolean;
    v_pairs integer;
BEGIN
    SELECT p_city_strict OR p.city_strict INTO v_strict FROM pools p WHERE p.key = p_pool;
    IF NOT FOUND THEN
        RETURN ROW(NULL, p_city_strict, 'no-pool')::x_claim;
    END IF;
    FOREACH v_wait IN ARRAY CASE WHEN p_wait THEN ARRAY[false, true] ELSE ARRAY[false] END LOOP
        FOR v_number IN
            SELECT n.number FROM secret_numbers n
              LEFT JOIN x_load_hints h ON h.number = n.number
             WHERE n.pool_key = p_pool AND n.state = 'active' AND n.health = 'normal'
               AND n.locked_at IS NULL
               AND (p_pinned IS NULL OR n.number = p_pinned)
               AND (NOT v_strict OR p_city IS NULL OR n.city = p_city)
               AND n.number <> ALL (coalesce(p_exclude, '{}'))
               AND (NOT v_wait OR n.number = ANY (v_busy))
             ORDER BY (n.city IS NOT DISTINCT FROM p_city) DESC, coalesce(h.pairs, 0), n.number
        LOOP
            BEGIN
                IF v_wait THEN
                    PERFORM 1 FROM secret_numbers n
                     WHERE n.number = v_number AND n.pool_key = p_pool
                       AND n.state = 'active' AND n.health = 'normal'
                       AND n.locked_at IS NULL
                       FOR UPDATE;
                ELSE
                    PERFORM 1 FROM secret_numbers n
                     WHERE n.number = v_number AND n.pool_key = p_pool
                       AND n.state = 'active' AND n.health = 'normal'
                       AND n.locked_at IS NULL
                       FOR UPDATE SKIP LOCKED;
                END IF;
                IF NOT FOUND THEN
                    -- Another bind holds it (first pass: try it again later), or it was released.
                    IF NOT v_wait THEN v_busy := v_busy || v_number; END IF;
                ELSE
                    v_pairs := x_live_pairs(v_number, p_now);
                    IF cardinality(p_batch_x) > 0 THEN
                        v_pairs := v_pairs + cardinality(array_positions(p_batch_x, v_number));
                        IF EXISTS (SELECT 1 FROM unnest(p_batch_x, p_batch_a, p_batch_b) t(x, a, b)
                                    WHERE t.x = v_number
                                      AND (t.a IN (p_a, p_b) OR t.b IN (p_a, p_b))) THEN
                            RAISE EXCEPTION USING ERRCODE = 'AXB01';
                        END IF;
                    END IF;
                    IF v_pairs >= p_max_pairs OR x_carries_party(v_number, p_a, p_b, p_now) THEN
                        RAISE EXCEPTION USING ERRCODE = 'AXB01';
                    END IF;
                    INSERT INTO x_load_hints (number, pairs, counted_at)
                    VALUES (v_number, v_pairs + 1, p_now)
                    ON CONFLICT (number) DO UPDATE
                       SET pairs = excluded.pairs, counted_at = excluded.counted_at;
                    RETURN ROW(v_number, v_strict, NULL)::x_claim;
                END IF;
            EXCEPTION WHEN SQLSTATE 'AXB01' THEN
                NULL; -- a party of the pair is on it, or it is full: unlocked, next candidate
            END;
        END LOOP;
        EXIT WHEN cardinality(v_busy) = 0;
    END LOOP;
    IF NOT p_wait AND cardinality(v_busy) > 0 THEN
        RETURN ROW(NULL, v_strict, 'busy')::x_claim;
    END IF;

    IF p_pinned IS NOT NULL THEN
        RETURN ROW(NULL, v_strict, 'x-unavailable')::x_claim;
    END IF;
    IF EXISTS (SELECT 1 FROM secret_numbers n
                WHERE n.pool_key = p_pool AND n.state = 'active'
                  AND (NOT v_strict OR p_city IS NULL OR n.city = p_city)) THEN
        RETURN ROW(NULL, v_strict, 'exhausted')::x_claim;
    END IF;
    RETURN ROW(NULL, v_strict, 'no-numbers')::x_claim;
END $$;
-- Its statements branch on parameters (a pinned X or not, a strict city or not): generic plans,
-- cached per connection, instead of planning them afresh on every call.
ALTER FUNCTION claim_x(text, text, text, text, boolean, text, text[], integer, timestamptz,
                      boolean, text[], text[], text[])
    SET plan_cache_mode = force_generic_plan;
