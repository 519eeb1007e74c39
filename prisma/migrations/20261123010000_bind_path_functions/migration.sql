-- The bind path at Postgres speed (issue 10).
--
-- Written by hand: schema.prisma cannot express functions. A bind used to cost ~14 round trips
-- and two interactive transactions; here each step of it is one call:
--   place_binding()  replay check by order, claim of X, expiry of overdue pairs on X, insert of
--                    the pending binding and its `created` event;
--   move_binding()   after a provider BIND_CONFLICT, the same binding onto the next X;
-- and the settle step is one plain statement in src/bindings/settlement.repository.ts.
--
-- Ownership (mirrored by the TypeScript that calls these):
--   binding-store  binding_state_live / binding_live_at / binding_overdue_at, expire_bindings()
--                  (src/binding-store/): the one vocabulary of "live" and the one expire operation;
--   inventory      x_live_pairs / x_carries_party / claim_x() (src/inventory/x-claims.ts):
--                  eligibility, per-X lock, load, party clash and capacity of a middle number;
--   bindings       place_binding() / move_binding() (src/bindings/placement.repository.ts),
--                  which call claim_x() and never read secret_numbers themselves.

-- ─── binding-store: what "live" means ──────────────────────────────────────────────────────────
-- The one SQL definition of the live states (src/binding-store/binding-states.ts holds the one
-- TypeScript list; test/database/binding-states.test.ts checks that they agree). Adding a live
-- state: add it there, redefine this function, and recreate the partial indexes and the check
-- constraint that list the states (bindings_live_*), in one migration. These are inlined by the planner, so a query that
-- uses them still matches those partial indexes.
CREATE FUNCTION binding_state_live(s binding_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT s IN ('pending', 'active', 'unknown') $$;

-- Live at `t`: a live state and an expiry still ahead. An overdue binding frees its order and its
-- pairs at once, before any sweep ends it. (The expiry test is wrapped in coalesce, which changes
-- nothing for a NOT NULL column, so that it is no plain comparison on expires_at: a query using
-- these never makes the expiry index a candidate; only the sweep opts into it. See the indexes at
-- the end.)
CREATE FUNCTION binding_live_at(s binding_state, expires_at timestamptz, t timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT binding_state_live(s) AND coalesce(expires_at > t, false) $$;

-- Overdue at `t`: still in a live state, its expiry passed: what expiry ends.
CREATE FUNCTION binding_overdue_at(s binding_state, expires_at timestamptz, t timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT binding_state_live(s) AND coalesce(expires_at <= t, false) $$;

-- The one expire operation: ends live bindings, with one `expired` event each carrying
-- `p_details` and the state it left; returns what it ended. Which bindings:
--  - `p_ids`: those of them still live (and overdue at `p_now` when `p_only_overdue`), waiting for
--    any other writer of those rows; a bind, an update or a routing lookup ending one binding;
--  - `p_ids` NULL: up to `p_due_limit` overdue bindings, oldest first, that no other sweep has
--    taken (SKIP LOCKED), by the partial index over live rows: a batch of the expiry sweep.
-- The rows are locked first, so concurrent callers end each binding exactly once; then they are
-- updated by primary key (a join would let the planner hash the whole table per batch) and their
-- events inserted, set-based (one UPDATE, one INSERT) so that statement-level triggers stay cheap.
CREATE FUNCTION expire_bindings(p_ids uuid[], p_due_limit integer, p_now timestamptz,
                                p_actor text, p_details jsonb, p_only_overdue boolean)
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
    UPDATE bindings SET state = 'expired', ended_at = p_now, updated_at = p_now
     WHERE id = ANY (v_ids);
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT t.id, 'expired', p_actor, p_now, p_details || jsonb_build_object('previousState', t.state)
      FROM unnest(v_ids, v_states) AS t(id, state);
    RETURN QUERY SELECT * FROM unnest(v_ids, v_states);
END $$;

-- ─── inventory: middle numbers and their capacity ───────────────────────────────────────────────
-- The live pairs each of `p_numbers` carries at `t`: the one definition of a number's load.
-- A SQL table function, so the planner inlines it into the query that calls it (in FROM).
CREATE FUNCTION x_loads(p_numbers text[], p_now timestamptz)
RETURNS TABLE (number text, pairs integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT x.number,
           (SELECT count(*)::int FROM bindings b
             WHERE b.phone_x = x.number AND binding_live_at(b.state, b.expires_at, p_now))
      FROM unnest(p_numbers) AS x(number)
$$;

-- The live pairs of one number at `t`, for the admin reads (list, stock, release, metrics).
CREATE FUNCTION x_live_pairs(p_x text, p_now timestamptz) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT l.pairs FROM x_loads(ARRAY[p_x], p_now) l $$;

-- Whether A or B (in either role) is a party of a live binding on X at `t`: a caller must
-- identify exactly one binding per X, so neither may appear twice on one X (invariant 2).
CREATE FUNCTION x_carries_party(p_x text, p_a text, p_b text, p_now timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM bindings b
                    WHERE b.phone_x = p_x AND binding_live_at(b.state, b.expires_at, p_now)
                      AND (b.phone_a IN (p_a, p_b) OR b.phone_b IN (p_a, p_b)));
END $$;

-- The load of each number as last counted, when a claim took it: `pairs` is its exact load then,
-- plus the pair that claim placed. Claims rank candidates on it instead of counting every live
-- pair of the pool per bind (O(numbers), not O(live pairs)); whether a pair fits is always
-- counted exactly, under the number's lock. Only claims add pairs to a number, and every claim
-- refreshes this, so it is never below the true load; pairs that end lower the true load only,
-- and the next claim of the number brings its count down again. Apart from secret_numbers so
-- that a bind writes nothing there (routing caches follow changes of that table).
CREATE TABLE "x_load_hints" (
    "number" VARCHAR(20) NOT NULL,
    "pairs" INTEGER NOT NULL,
    "counted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "x_load_hints_pkey" PRIMARY KEY ("number")
);

-- The outcome of claim_x: the number claimed (locked for the caller's transaction), the city mode
-- that applied, or why none: no-pool, no-numbers (the pool holds none here), exhausted (none can
-- take this pair now), x-unavailable (the pinned number cannot).
CREATE TYPE x_claim AS (number text, city_strict boolean, refusal text);

-- Claims the best middle number of the pool for the pair (A, B) and locks its secret_numbers row
-- until the caller's transaction ends: held, healthy, of `p_city` when the pool or the request is
-- strict (else that city first), not in `p_exclude`, carrying neither A nor B, fewer than
-- `p_max_pairs` live pairs; least loaded (as last counted, x_load_hints) first. `p_pinned` allows
-- only that number.
--
-- Concurrent binds first try numbers no other bind is placing a pair on right now (SKIP LOCKED),
-- so they spread over the pool instead of queueing on one number; then they wait for the busy
-- ones. Candidates are ranked on their last counted load; whether the pair fits (its exact load,
-- and no party of it on the number) is decided under the lock, where both are current. A number that
-- does not fit is unlocked at once (its sub-block is rolled back), so a claim holds at most the
-- one lock it returns, and claims cannot deadlock on each other.
CREATE FUNCTION claim_x(p_pool text, p_a text, p_b text, p_city text, p_city_strict boolean,
                        p_pinned text, p_exclude text[], p_max_pairs integer, p_now timestamptz)
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
    FOREACH v_wait IN ARRAY ARRAY[false, true] LOOP
        FOR v_number IN
            SELECT n.number FROM secret_numbers n
              LEFT JOIN x_load_hints h ON h.number = n.number
             WHERE n.pool_key = p_pool AND n.state = 'active' AND n.health = 'normal'
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
                       FOR UPDATE;
                ELSE
                    PERFORM 1 FROM secret_numbers n
                     WHERE n.number = v_number AND n.pool_key = p_pool
                       AND n.state = 'active' AND n.health = 'normal'
                       FOR UPDATE SKIP LOCKED;
                END IF;
                IF NOT FOUND THEN
                    -- Another bind holds it (first pass: try it again later), or it was released.
                    IF NOT v_wait THEN v_busy := v_busy || v_number; END IF;
                ELSE
                    v_pairs := (SELECT l.pairs FROM x_loads(ARRAY[v_number], p_now) l);
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

-- ─── bindings: placing and moving a pending binding ────────────────────────────────────────────
-- What place_binding() and move_binding() answer: an outcome, and the binding's columns (NULL
-- when a claim was refused).
CREATE TYPE binding_placement AS (
    outcome text, id uuid, pool_key varchar, out_id varchar, phone_a varchar, phone_b varchar,
    phone_x varchar, subs_id varchar, city varchar, city_strict boolean, record boolean,
    state binding_state, expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
    ended_at timestamptz
);

-- Claims X for the pair (claim_x()) and, when it did, expires the live bindings of A or B on that
-- X that are overdue: their pairs are free at once, before any sweep.
CREATE FUNCTION take_x(p_actor text, p_now timestamptz,
                       p_pool text, p_a text, p_b text, p_city text, p_city_strict boolean,
                       p_pinned text, p_exclude text[], p_max_pairs integer)
RETURNS x_claim
LANGUAGE plpgsql AS $$
DECLARE
    v_claim x_claim;
    v_overdue uuid[];
BEGIN
    v_claim := claim_x(p_pool, p_a, p_b, p_city, p_city_strict, p_pinned, p_exclude,
                       p_max_pairs, p_now);
    IF v_claim.number IS NOT NULL THEN
        v_overdue := ARRAY(SELECT b.id FROM bindings b
                            WHERE b.phone_x = v_claim.number
                              AND (b.phone_a IN (p_a, p_b) OR b.phone_b IN (p_a, p_b))
                              AND binding_overdue_at(b.state, b.expires_at, p_now));
        IF cardinality(v_overdue) > 0 THEN
            PERFORM 1 FROM expire_bindings(v_overdue, NULL, p_now, p_actor,
                                           '{"reason": "pair reused after expiry"}', true);
        END IF;
    END IF;
    RETURN v_claim;
END $$;

-- Places the pending binding of an order, in one call:
--  1. one placement per order at a time, across instances (a transaction-scoped advisory lock on
--     the order), so the order's existing live binding is found before any X is considered: the
--     same order sent to two instances at once gives the second the first one's binding
--     ('replay'), never a clash with it. One already overdue is expired here and a new one made;
--  2. take_x(): claim_x() for the pair (its refusal is returned as the outcome), and the expiry
--     of overdue live bindings of A or B on that X;
--  3. the binding is inserted `pending` with its `created` event ('placed').
-- The partial unique indexes remain the backstop for every invariant.
CREATE FUNCTION place_binding(p_out_id text, p_record boolean, p_expires_at timestamptz,
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
                        NULL, NULL, NULL, NULL, NULL, NULL)::binding_placement;
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

-- Moves a still-pending binding onto the next X after the provider refused its X with
-- isv.BIND_CONFLICT, in one call: take_x() excluding the numbers tried, the update and its
-- `attempt_failed` event. 'placed' with the moved binding, the
-- claim's refusal, or 'not-pending' when the binding has left `pending` meanwhile.
CREATE FUNCTION move_binding(p_id uuid, p_actor text, p_details jsonb, p_now timestamptz,
                             p_pool text, p_a text, p_b text, p_city text, p_city_strict boolean,
                             p_pinned text, p_exclude text[], p_max_pairs integer)
RETURNS SETOF binding_placement
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_row bindings%ROWTYPE;
    v_claim x_claim;
BEGIN
    SELECT * INTO v_row FROM bindings b WHERE b.id = p_id AND b.state = 'pending' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not-pending'::text, b.* FROM bindings b WHERE b.id = p_id;
        RETURN;
    END IF;

    v_claim := take_x(p_actor, p_now, p_pool, p_a, p_b, p_city, p_city_strict, p_pinned,
                      p_exclude, p_max_pairs);
    IF v_claim.number IS NULL THEN
        RETURN QUERY SELECT v_claim.refusal, v_row.*;
        RETURN;
    END IF;

    UPDATE bindings b SET phone_x = v_claim.number, updated_at = p_now
     WHERE b.id = p_id
    RETURNING * INTO v_row;
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    VALUES (p_id, 'attempt_failed', p_actor, p_now, p_details);
    RETURN QUERY SELECT 'placed'::text, v_row.*;
END $$;

-- ─── constraints and indexes ───────────────────────────────────────────────────────────────────
-- X is always chosen by us: a live binding has an X, so every bind can be found again at the
-- provider. NOT VALID: rows written before this rule (when the provider could pick X) are not
-- checked; they cannot become live again.
-- (The states are spelt out, as in the partial indexes: a function here would be inlined again
-- for every statement that writes a binding.)
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_live_x_check"
    CHECK ("phone_x" IS NOT NULL OR "state" NOT IN ('pending', 'active', 'unknown')) NOT VALID;

-- Counting one number's live pairs no longer happens for every number of the pool per bind, and
-- the unique (phone_x, phone_a) index over the same rows serves it: one index less to write.
DROP INDEX "bindings_live_x_idx";

-- An event belongs to a binding, checked once per statement instead of once per row. The foreign
-- key ran a query (through SPI) and took a row lock for every event, and a batch of the expiry
-- sweep writes 5,000 of them; the set-based check (one anti-join) keeps the same rule and its
-- error code, and a deleted binding still takes its events with it.
ALTER TABLE "binding_events" DROP CONSTRAINT "binding_events_binding_id_fkey";

CREATE FUNCTION binding_events_check_binding() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_missing uuid;
BEGIN
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

CREATE TRIGGER "binding_events_binding_inserted" AFTER INSERT ON "binding_events"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION binding_events_check_binding();
CREATE TRIGGER "binding_events_binding_updated" AFTER UPDATE ON "binding_events"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION binding_events_check_binding();

CREATE FUNCTION bindings_delete_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM binding_events e USING gone_bindings g WHERE e.binding_id = g.id;
    RETURN NULL;
END $$;

CREATE TRIGGER "bindings_deleted_events" AFTER DELETE ON "bindings"
    REFERENCING OLD TABLE AS gone_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION bindings_delete_events();

-- Each partial index over live bindings names, in its predicate, the column its queries look up
-- by (`… IS NOT NULL`, true of every row), so that a query on live bindings can only use the
-- indexes made for it (binding_live_at() and binding_overdue_at() leave expires_at unnamed). Otherwise every live partial index is a candidate for a full scan in every
-- such query, and a plan made while the statistics saw few live rows (a fresh table, a history
-- analysed when little was live) counted a number's pairs through the out_id or the expiry index:
-- a scan of every live binding, on every bind. Lookups by X use the (phone_x, phone_a|phone_b)
-- indexes (their predicate names phone_x already), by order the out_id one, the sweep this one.
DROP INDEX "bindings_live_out_id_key";
CREATE UNIQUE INDEX "bindings_live_out_id_key" ON "bindings"("pool_key", "out_id")
    WHERE "state" IN ('pending', 'active', 'unknown') AND "out_id" IS NOT NULL;
DROP INDEX "bindings_live_expires_at_idx";
CREATE INDEX "bindings_live_expires_at_idx" ON "bindings"("expires_at")
    WHERE "state" IN ('pending', 'active', 'unknown') AND "expires_at" IS NOT NULL;

-- (state, expires_at) serves no query the partial bindings_live_expires_at_idx does not serve
-- better, and every write and every expiry paid for it.
DROP INDEX "bindings_state_expires_at_idx";

-- The bind path's functions run their statements with generic plans, cached per connection:
-- their statements branch on parameters (a pinned X or not, a strict city or not), and
-- Postgres's plan cache would otherwise keep planning them afresh for every call, which cost a
-- tenth of the database's time per bind. The indexes above keep the generic plans on the right
-- indexes whatever the statistics.
ALTER FUNCTION claim_x(text, text, text, text, boolean, text, text[], integer, timestamptz)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION take_x(text, timestamptz, text, text, text, text, boolean, text, text[], integer)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION place_binding(text, boolean, timestamptz, text, jsonb, timestamptz, text, text, text,
                             text, boolean, text, text[], integer)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION move_binding(uuid, text, jsonb, timestamptz, text, text, text, text, boolean, text,
                            text[], integer)
    SET plan_cache_mode = force_generic_plan;

