-- Inventory: the live pairs on each middle number X, and the claim of X for a new pair.
--
-- live_pairs has one row per live binding (X, A, B, its order, its expiry). Its unique indexes
-- carry invariants 1 and 2, and X's load is the count of its rows on X. It follows `bindings`
-- (the record) through the trigger below, whoever writes a binding: a binding that becomes live
-- gets its row, one that ends loses it, and a live one's changes of X, parties, order or expiry
-- are copied (the record's trigger, 030_binding_record.sql, calls the functions below; the bind
-- path's placements and the expire operation write their pairs themselves, 050). Its rows
-- are never updated on a hot path (settling changes only the record's state; binding and
-- expiring insert and delete rows), so its indexes cost only inserts.
-- A live binding past its expiry keeps its row until something expires it: a claim expires the
-- overdue bindings of A or B on the X it takes (take_x, 030_bind_path.sql), and the sweep the rest.

-- What the record's trigger (bindings_changed(), 030_binding_record.sql) asks of the live pairs,
-- by binding id, after a statement changed bindings: pairs that begin (a binding became live),
-- end (it ended) or move (a live one changed X, parties, order or expiry). Each is one statement
-- by primary key: the keys as the index condition (`= ANY`), sequential scans off, so that each
-- is a probe of the keys whatever the statistics said when the connection planned it (a plan
-- made while live_pairs was empty kept reading every live pair as the table grew: 20,000 read
-- to end 2, 4.6 ms a call).
DROP FUNCTION IF EXISTS live_pairs_follow_bindings() CASCADE;

DROP FUNCTION IF EXISTS live_pairs_begin(uuid[]);
DROP FUNCTION IF EXISTS live_pairs_move(uuid[]);

-- (plpgsql, not SQL functions: a SQL function's statement is planned again on every call, which
-- costs more than the statement itself on the bind path; plpgsql keeps its plans per connection.)
CREATE OR REPLACE FUNCTION live_pairs_begin(p_rows bindings[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
    SELECT (r).id, (r).pool_key, (r).out_id, (r).phone_x, (r).phone_a, (r).phone_b, (r).expires_at
      FROM unnest(p_rows) r;
END $$;

-- (`= ANY` of a sweep's 5,000 ids was once planned as a scan of every live pair, which made
-- expiring N pairs cost O(N²) over a sweep's batches; joined to the ids instead, a plan made on
-- an empty table hashed a scan of all of them. With sequential scans off neither can happen.)
CREATE OR REPLACE FUNCTION live_pairs_end(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    DELETE FROM live_pairs lp WHERE lp.binding_id = ANY (p_ids);
END $$;

-- (By primary key, each row's new values taken from the array: no join, which the caller's
-- settings would plan without nested loops, hashing the whole of live_pairs.)
CREATE OR REPLACE FUNCTION live_pairs_move(p_rows bindings[]) RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    UPDATE live_pairs lp
       SET (pool_key, out_id, x, a, b, expires_at) =
           (SELECT (r).pool_key, (r).out_id, (r).phone_x, (r).phone_a, (r).phone_b, (r).expires_at
              FROM unnest(p_rows) r WHERE (r).id = lp.binding_id)
     WHERE lp.binding_id = ANY (ARRAY(SELECT (r).id FROM unnest(p_rows) r));
END $$;

-- The live pairs X carries at `t` (an overdue one no longer counts): its load, for the admin reads
-- (list, stock, release, metrics) and for the claim. X's pairs are found by X alone and their
-- expiry is only filtered: with `expires_at > t` in the WHERE, a generic plan (claim_x's, below)
-- reads the expiry index from `t` on, i.e. every live pair of every number, to count one X's
-- (0.5 ms a claim at 5,000 live pairs, growing with the whole pool's load; issue 21).
CREATE OR REPLACE FUNCTION x_live_pairs(p_x text, p_now timestamptz) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (count(*) FILTER (WHERE lp.expires_at > p_now))::int FROM live_pairs lp
     WHERE lp.x = p_x
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
-- number that could take it is being claimed by another transaction right now). `overdue`: the
-- live bindings of A or B on the number claimed that are overdue at `t` (their pairs still hold
-- the unique keys the new pair needs; take_x(), 050_bind_path.sql, expires them), NULL if none.
DROP TYPE IF EXISTS x_claim CASCADE;
DROP FUNCTION IF EXISTS claim_x(text, text, text, text, boolean, text, text[], integer,
                                timestamptz, boolean, text[], text[], text[]);
-- `ranked`: the candidates in the order this claim ranked them, for the next claim of the same
-- terms in the same transaction (`p_ranked`), which need not rank them again; NULL when the claim
-- was given its ranking, or ranked for a pinned number or with exclusions. `pos`: where in the
-- ranking (its own or the one given) the number claimed stands, the next claim's `p_from` less
-- one; NULL when the ranking is not shared.
CREATE TYPE x_claim AS (number text, city_strict boolean, refusal text, overdue uuid[],
                        ranked text[], pos integer);

-- Claims the best middle number of the pool for the pair (A, B) and locks its secret_numbers row
-- until the caller's transaction ends: held, healthy, of `p_city` when the pool or the request is
-- strict (else that city first), not in `p_exclude`, carrying neither A nor B, fewer than
-- `p_max_pairs` live pairs; least loaded (as last counted, x_load_hints) first. `p_pinned` allows
-- only that number. `p_batch_x/_a/_b`: pairs the caller's transaction has claimed numbers for but
-- not inserted yet (a batch of placements, inserted together): counted like live ones. A locked
-- number (LockSecretNo: secret_numbers.locked_at) is never claimed. `p_ranked`: the ranking an
-- earlier claim of the same pool, city and strictness returned (x_claim.ranked) in this
-- transaction, claimed from instead of ranking the pool again (place_bindings()' batches), from
-- its `p_from`th number on (then round from the top): the numbers before it are the ones that
-- batch has just loaded. Walking on from where the last claim stopped costs a claim O(1) for the
-- ranking, whatever the pool's size; re-ranking it for every bind cost O(numbers) each (a batch
-- of 4 binds: 1.8 ms at 20 numbers, 7.7 ms at 400; issue 21).
--
-- Concurrent binds first try numbers no other bind is placing a pair on right now (SKIP LOCKED),
-- so they spread over the pool instead of queueing on one number; then (`p_wait`) they wait for
-- the busy ones, or answer 'busy' (a batch never waits: see place_bindings()). Candidates are
-- ranked on their last counted load; whether the pair fits (its exact load, and no party of it
-- on the number) is decided under the lock, where both are current. A number
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
                                   p_batch_a text[] DEFAULT '{}', p_batch_b text[] DEFAULT '{}',
                                   p_ranked text[] DEFAULT NULL, p_from integer DEFAULT 1)
RETURNS x_claim
LANGUAGE plpgsql AS $$
DECLARE
    v_strict boolean;
    v_ranked text[];
    v_shared boolean := p_pinned IS NULL AND cardinality(p_exclude) = 0;
    v_given boolean;
    v_count integer;
    v_k integer;
    v_pos integer;
    v_number text;
    v_busy text[] := '{}';
    v_wait boolean;
    v_pairs integer;
    v_party boolean;
    v_overdue uuid[];
    -- At most this many numbers are counted and found full before the claim gives up
    -- ('exhausted'): counting is O(pairs on X) under X's lock, and a pool at capacity
    -- would otherwise count every pair of the pool for every bind refused (20 numbers of 200
    -- pairs: 4–12 ms a refusal, growing with the pool; bounded: 2–3 ms at 20 or 100 numbers).
    -- The numbers found full get their exact load as their hint (x_load_hints_counted()), so
    -- the next claim ranks them below the ones not counted since, and capacity freed anywhere in
    -- the pool is found within a few claims.
    c_counts CONSTANT integer := 8;
    v_counted integer := 0;
    v_full text[] := '{}';
    v_full_pairs integer[] := '{}';
BEGIN
    SELECT p_city_strict OR p.city_strict INTO v_strict FROM pools p WHERE p.key = p_pool;
    IF NOT FOUND THEN
        RETURN ROW(NULL, p_city_strict, 'no-pool', NULL, NULL, NULL)::x_claim;
    END IF;
    -- The candidates, ranked once: by this claim, or (`p_ranked`) by an earlier claim of the same
    -- terms in this transaction, a batch's, walked on from `p_from` (the numbers before it the
    -- batch has just loaded). Ranking reads every number of the pool and its hint; a batch of
    -- placements ranks once instead of once per bind. Whether a number may take the pair is
    -- decided under its lock below, whoever ranked it.
    v_given := p_ranked IS NOT NULL AND v_shared;
    IF v_given THEN
        v_ranked := p_ranked;
    ELSE
        -- (Each number's hint by one probe of its key, whatever the statistics: planned as a
        -- join, a generic plan merged the pool's numbers with the hints' key from its start,
        -- reading the hints of every pool's numbers that sort before this pool's, per ranking.)
        v_ranked := ARRAY(
            SELECT c.number
              FROM (SELECT n.number, n.city,
                           (SELECT h FROM x_load_hints h WHERE h.number = n.number) AS hint
                      FROM secret_numbers n
                     WHERE n.pool_key = p_pool AND n.state = 'active' AND n.health = 'normal'
                       AND n.locked_at IS NULL
                       AND (p_pinned IS NULL OR n.number = p_pinned)
                       AND (NOT v_strict OR p_city IS NULL OR n.city = p_city)
                       AND n.number <> ALL (coalesce(p_exclude, '{}'))
                    OFFSET 0) c
             ORDER BY (c.city IS NOT DISTINCT FROM p_city) DESC, coalesce((c.hint).pairs, 0),
                      (c.hint).counted_at NULLS FIRST, c.number);
    END IF;
    v_count := cardinality(v_ranked);
    FOREACH v_wait IN ARRAY CASE WHEN p_wait THEN ARRAY[false, true] ELSE ARRAY[false] END LOOP
        FOR v_k IN 0 .. (CASE WHEN v_wait THEN cardinality(v_busy) ELSE v_count END) - 1
        LOOP
            EXIT WHEN v_counted >= c_counts;
            IF v_wait THEN
                v_number := v_busy[v_k + 1];
                v_pos := NULL;
            ELSE
                v_pos := CASE WHEN v_given THEN (greatest(p_from, 1) - 1 + v_k) % v_count + 1
                              ELSE v_k + 1 END;
                v_number := v_ranked[v_pos];
            END IF;
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
                    -- (What x_live_pairs() and x_carries_party() answer, written here: a
                    -- statement of this function keeps its plan, a SQL function's is planned
                    -- again on every call. One pass over X's pairs gives both, and the overdue
                    -- pairs of A or B on X: X's pairs by X alone, their expiry filtered, see
                    -- x_live_pairs().)
                    -- (Each pair's tests once, as plain comparisons: an `IN (p_a, p_b)` builds
                    -- an array of its parameters for every row it is tested on.)
                    SELECT (count(*) FILTER (WHERE t.live))::int,
                           coalesce(bool_or(t.live) FILTER (WHERE t.party), false),
                           array_agg(t.binding_id) FILTER (WHERE t.party AND NOT t.live)
                      INTO v_pairs, v_party, v_overdue
                      FROM (SELECT lp.binding_id, lp.expires_at > p_now AS live,
                                   (lp.a = p_a OR lp.a = p_b OR lp.b = p_a OR lp.b = p_b)
                                       AS party
                              FROM live_pairs lp
                             WHERE lp.x = v_number) t;
                    -- (A batch's other pairs matter only on the same number: that test is a
                    -- plain expression, the EXISTS a statement.)
                    IF v_number = ANY (p_batch_x) THEN
                        v_pairs := v_pairs + cardinality(array_positions(p_batch_x, v_number));
                        IF EXISTS (SELECT 1 FROM unnest(p_batch_x, p_batch_a, p_batch_b) t(x, a, b)
                                    WHERE t.x = v_number
                                      AND (t.a IN (p_a, p_b) OR t.b IN (p_a, p_b))) THEN
                            RAISE EXCEPTION USING ERRCODE = 'AXB01';
                        END IF;
                    END IF;
                    IF v_pairs >= p_max_pairs OR v_party THEN
                        -- (Only a full number counts towards the bound: a number that carries A
                        -- or B already is one of the few the pair's own live bindings hold, and
                        -- counting it again at the next claim would refuse that pair for good.)
                        IF v_pairs >= p_max_pairs THEN
                            v_counted := v_counted + 1;
                            v_full := v_full || v_number;
                            v_full_pairs := v_full_pairs || v_pairs;
                        END IF;
                        RAISE EXCEPTION USING ERRCODE = 'AXB01';
                    END IF;
                    INSERT INTO x_load_hints (number, pairs, counted_at)
                    VALUES (v_number, v_pairs + 1, p_now)
                    ON CONFLICT (number) DO UPDATE
                       SET pairs = excluded.pairs, counted_at = excluded.counted_at;
                    IF cardinality(v_full) > 0 THEN
                        PERFORM x_load_hints_counted(v_full, v_full_pairs, p_now);
                    END IF;
                    IF v_shared AND v_pos IS NULL THEN
                        -- (a number claimed after waiting for it: rare, found the long way)
                        v_pos := array_position(v_ranked, v_number);
                    END IF;
                    RETURN ROW(v_number, v_strict, NULL, v_overdue,
                               CASE WHEN v_shared AND NOT v_given THEN v_ranked END,
                               CASE WHEN v_shared THEN v_pos END)::x_claim;
                END IF;
            EXCEPTION WHEN SQLSTATE 'AXB01' THEN
                NULL; -- a party of the pair is on it, or it is full: unlocked, next candidate
            END;
        END LOOP;
        EXIT WHEN cardinality(v_busy) = 0 OR v_counted >= c_counts;
    END LOOP;
    IF cardinality(v_full) > 0 THEN
        PERFORM x_load_hints_counted(v_full, v_full_pairs, p_now);
    END IF;
    IF NOT p_wait AND cardinality(v_busy) > 0 THEN
        RETURN ROW(NULL, v_strict, 'busy', NULL, NULL, NULL)::x_claim;
    END IF;

    IF p_pinned IS NOT NULL THEN
        RETURN ROW(NULL, v_strict, 'x-unavailable', NULL, NULL, NULL)::x_claim;
    END IF;
    IF EXISTS (SELECT 1 FROM secret_numbers n
                WHERE n.pool_key = p_pool AND n.state = 'active'
                  AND (NOT v_strict OR p_city IS NULL OR n.city = p_city)) THEN
        RETURN ROW(NULL, v_strict, 'exhausted', NULL, NULL, NULL)::x_claim;
    END IF;
    RETURN ROW(NULL, v_strict, 'no-numbers', NULL, NULL, NULL)::x_claim;
END $$;
-- The exact loads of numbers a claim counted and found full, as their hints (claim_x()), so the
-- next claim ranks them below numbers not counted since. A hint another claim is writing right
-- now is left to it (its count is as current): never waiting here, outside X's lock. (The
-- numbers as the index condition, as every lookup by keys: 020's head.)
CREATE OR REPLACE FUNCTION x_load_hints_counted(p_numbers text[], p_pairs integer[],
                                                p_now timestamptz)
RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    UPDATE x_load_hints h SET pairs = u.pairs, counted_at = p_now
      FROM unnest(p_numbers, p_pairs) AS u(number, pairs)
     WHERE h.number = u.number
       AND h.number = ANY (p_numbers)
       AND h.number IN (SELECT l.number FROM x_load_hints l
                         WHERE l.number = ANY (p_numbers)
                           FOR UPDATE SKIP LOCKED);
    INSERT INTO x_load_hints (number, pairs, counted_at)
    SELECT u.number, u.pairs, p_now FROM unnest(p_numbers, p_pairs) AS u(number, pairs)
    ON CONFLICT (number) DO NOTHING;
END $$;

-- Its statements branch on parameters (a pinned X or not, a strict city or not): generic plans,
-- cached per connection, instead of planning them afresh on every call.
ALTER FUNCTION claim_x(text, text, text, text, boolean, text, text[], integer, timestamptz,
                      boolean, text[], text[], text[], text[], integer)
    SET plan_cache_mode = force_generic_plan;
-- Generic plans cost a small live_pairs as a sequential scan (its statistics say it is tiny when
-- the plan is made); every lookup here is by a key the indexes serve, at any size.
ALTER FUNCTION claim_x(text, text, text, text, boolean, text, text[], integer, timestamptz,
                      boolean, text[], text[], text[], text[], integer)
    SET enable_seqscan = off;
