-- Bindings: the bind path and the one expire operation, one round trip each
-- (src/bindings/placement.repository.ts, src/bindings/binding-expiry.repository.ts):
--   place_bindings()   for each of a batch of binds: replay check by order, claim of X, expiry of
--                      overdue pairs on X; then the insert of the pending bindings and their
--                      `created` events, together;
--   move_binding()     after a provider BIND_CONFLICT, the same binding onto the next X;
--   settle_bound()     a batch of BindAxb answers recorded (pending → active with its SubsId);
--   bind_round()       settle_bound() and place_bindings() together: one statement, one commit;
--   expire_bindings()  ends live bindings (the sweep's batches, and single ones found overdue).
-- A failed or unknown outcome is one plain statement (src/bindings/settlement.repository.ts). The
-- live pairs and the reconciliation queue follow the record through its trigger (030, 020, 040),
-- except for the writes of place_bindings(), settle_bound() and expire_bindings(), which follow
-- themselves from the values they hold (see each).

-- The one expire operation: ends live bindings, with one `expired` event each carrying
-- `p_details` and the state it left; returns what it ended. Which bindings:
--  - `p_ids`: those of them still live (and overdue at `p_now` when `p_only_overdue`), waiting for
--    any other writer of those rows; a bind, an update or a routing lookup ending one binding;
--  - `p_ids` NULL: up to `p_due_limit` overdue bindings, oldest first, that no other sweep has
--    taken (SKIP LOCKED), found through the live pairs' expiry index: a batch of the sweep. Of
--    those, only stripe `p_stripe` of `p_stripes` (by the id's last byte, which is random): the
--    workers of one sweep take one stripe each, so none of them walks past the rows another has
--    locked (probing each one's binding and trying its lock) before it finds its own. And only
--    pairs due from `p_due_from` on: a worker's next batch starts where its last one's due pairs
--    ended (`due_through`, on every row returned), instead of at the oldest: from there, the
--    expiry index holds the pairs the earlier batches (its own and the other stripes') deleted,
--    which each batch walked past again, heap and all, while a sweep still running elsewhere
--    kept them from being marked dead (with two workers, the candidate scans cost 4x what one
--    worker's did, a fifth of the sweep).
-- A binding whose provider side was open stays queued for reconciliation's provider check
-- (040_reconcile_queue.sql), unless the caller has just asked the provider (`p_provider_checked`:
-- reconciliation, when QuerySubscriptionDetail reports it expired there).
-- The rows are locked first, so concurrent callers end each binding exactly once; the update is
-- HOT (no column it writes is indexed), the events one set-based insert.
--
-- Both are aimed at the record's month partitions directly (the partitions the locked rows are
-- in: one, unless a batch spans a month's end), not at the parents: Postgres fires the parents'
-- statement triggers, and keeps their transition tables (every updated row twice, every event
-- once), only for statements aimed at the parents. Here the update finds its rows by the
-- addresses the locking scan returned (a locked row stays where it is until its locker changes
-- it; within one partition a ctid names one row) instead of probing the key again, and the events
-- go to their partition without being routed row by row. A binding's events partition is its
-- bindings partition's namesake (the month's partitions are made together, 090): when none is
-- found, or when a webhook endpoint wants events (the outbox is written by the events' trigger,
-- 080_webhook_outbox.sql), the events go through their parent.
-- What the parents' triggers do is therefore done here, from the ids and states already in hand:
-- the record's (bindings_changed(), 030_binding_record.sql) and the events' existence check
-- (binding_events_check_binding()), which skips the events' insert while `axb.expire_followed`
-- is set. The partitions' guard (history_partition_write_refused(), 090) lets the two statements
-- through while it is set (transaction-local, set and cleared around them). Each follower is one
-- statement over the arrays. The same effects, exactly:
--   the live pairs of the bindings end (each was live);
--   a binding whose provider side was open stays (or becomes) queued for the provider check,
--     due at once (reconcile_queue_enqueue()), unless `p_provider_checked`: then it leaves the
--     queue;
--   the routing caches are told the ids of the settled ones (a pending or unknown binding is in
--     no cache), or everything beyond routing_cache_max_keys() ids in one call;
--   the events belong to bindings this statement has just updated (the check has nothing to
--     find).
-- The flag only ever covers the statements below; every other writer of the record still goes
-- through the parents and their triggers.
DROP FUNCTION IF EXISTS expire_bindings(uuid[], integer, timestamptz, text, jsonb, boolean,
                                        boolean);
DROP FUNCTION IF EXISTS expire_bindings(uuid[], integer, timestamptz, text, jsonb, boolean,
                                        boolean, integer, integer);
CREATE OR REPLACE FUNCTION expire_bindings(p_ids uuid[], p_due_limit integer, p_now timestamptz,
                                           p_actor text, p_details jsonb, p_only_overdue boolean,
                                           p_provider_checked boolean DEFAULT false,
                                           p_stripe integer DEFAULT 0,
                                           p_stripes integer DEFAULT 1,
                                           p_due_from timestamptz DEFAULT NULL)
RETURNS TABLE (binding_id uuid, previous_state binding_state, due_through timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_ids uuid[];
    v_states binding_state[];
    v_parts oid[];
    v_rows tid[];
    v_part oid;
    v_events regclass;
    v_via_parent boolean;
    v_n bigint;
    v_open uuid[];
    v_routed uuid[];
    v_pairs tid[];
    v_gone uuid[];
    v_seqscan text := current_setting('enable_seqscan');
    v_cand uuid[];
    v_cand_pairs tid[];
    v_part_ids uuid[];
    v_state binding_state;
    v_state_ids uuid[];
    v_month_parts oid[];
    v_month_lo uuid[];
    v_month_hi uuid[];
    v_one_month boolean;
    v_part_locked uuid[];
    v_part_states binding_state[];
    v_part_rows tid[];
    v_one_part boolean;
    v_due_through timestamptz;
BEGIN
    IF p_ids IS NULL THEN
        -- The stripe's due pairs first, oldest first, without a lock: the narrow table's expiry
        -- index and its heap only (each pair's address kept for its delete below).
        -- (Sorted once, by id, below the aggregates: an aggregate's own ORDER BY sorts its
        -- input again for each of them.)
        SELECT array_agg(c.binding_id), array_agg(c.ctid), max(c.expires_at)
          INTO v_cand, v_cand_pairs, v_due_through
          FROM (SELECT d.* FROM (SELECT lp.binding_id, lp.ctid, lp.expires_at FROM live_pairs lp
                                  WHERE lp.expires_at <= p_now
                                    AND lp.expires_at >= coalesce(p_due_from, '-infinity')
                                    AND get_byte(uuid_send(lp.binding_id), 15) % p_stripes
                                        = p_stripe
                                  ORDER BY lp.expires_at
                                  LIMIT p_due_limit) d
                 ORDER BY d.binding_id) c;
        IF v_cand IS NULL THEN
            RETURN;
        END IF;
        -- Then their bindings, locked in their month partitions themselves, each partition's
        -- in one index scan of its key in id order. (Through the parent, each probe of a nested
        -- loop prunes the partitions anew, which cost as much as the probe itself.) Nearly
        -- always one month holds them all: it does when it holds the first and the last (a
        -- month is one range of ids, and the DEFAULT partition holds none of a month's), two
        -- probes, where reading the months' bounds cost a millisecond a batch. Else the month
        -- bounds cut them, and the ids of no month are the DEFAULT partition's.
        SELECT b.tableoid INTO v_part FROM bindings b WHERE b.id = v_cand[1];
        v_one_month := coalesce(
            v_part = (SELECT b.tableoid FROM bindings b WHERE b.id = v_cand[cardinality(v_cand)])
            AND (SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.oid = v_part)
                <> 'DEFAULT', false);
        IF NOT v_one_month THEN
            SELECT array_agg(h.name::regclass::oid ORDER BY h.lo), array_agg(h.lo ORDER BY h.lo),
                   array_agg(h.hi ORDER BY h.lo)
              INTO v_month_parts, v_month_lo, v_month_hi
              FROM history_month_partitions h
             WHERE h.parent = 'bindings' AND h.lo <= v_cand[cardinality(v_cand)]
               AND h.hi > v_cand[1];
        END IF;
        FOR v_part, v_part_ids IN
            SELECT v_part, v_cand WHERE v_one_month
            UNION ALL
            SELECT coalesce(g.part, (SELECT d.name::regclass::oid
                                       FROM history_partitions_between('bindings', NULL, NULL) d
                                      WHERE d.is_default)),
                   g.ids
              FROM (SELECT m.part, array_agg(u.id ORDER BY u.id) AS ids
                      FROM unnest(v_cand) AS u(id)
                      LEFT JOIN unnest(v_month_parts, v_month_lo, v_month_hi) AS m(part, lo, hi)
                        ON u.id >= m.lo AND u.id < m.hi
                     GROUP BY m.part) g
             WHERE NOT v_one_month
        LOOP
            -- (By the key, never by reading the month, like the update below. The ids are handed
            -- over as a subquery's array: given as a value, the planner estimates each of them.)
            PERFORM set_config('enable_seqscan', 'off', true);
            EXECUTE format(
                'SELECT array_agg(t.id), array_agg(t.state), array_agg(t.row) '
                '  FROM (SELECT l.* FROM (SELECT b.id, b.state, b.ctid AS row FROM %s b '
                '                          WHERE b.id = ANY (ARRAY(SELECT unnest($1))) '
                -- (Both rechecked on the binding's latest version when it changed after this
                -- statement's snapshot: another sweep ended it, or an extension committed
                -- meanwhile, whose pair's new expiry the scan above did not see.)
                '                            AND binding_state_live(b.state) '
                '                            AND b.expires_at <= $2 '
                '                            FOR UPDATE SKIP LOCKED) l ORDER BY l.id) t',
                v_part::regclass)
              INTO v_part_locked, v_part_states, v_part_rows
              USING v_part_ids, p_now;
            PERFORM set_config('enable_seqscan', v_seqscan, true);
            IF v_part_locked IS NOT NULL THEN
                v_ids := coalesce(v_ids, '{}') || v_part_locked;
                v_states := coalesce(v_states, '{}') || v_part_states;
                v_rows := coalesce(v_rows, '{}') || v_part_rows;
                v_parts := coalesce(v_parts, '{}')
                           || array_fill(v_part, ARRAY[cardinality(v_part_locked)]);
            END IF;
        END LOOP;
        IF v_ids IS NULL THEN
            RETURN;
        END IF;
        IF v_parts[1] <> ALL (v_parts) THEN
            -- (several partitions, the DEFAULT one's ids anywhere among the months': in id order)
            SELECT array_agg(t.id ORDER BY t.id), array_agg(t.state ORDER BY t.id),
                   array_agg(t.row ORDER BY t.id), array_agg(t.part ORDER BY t.id)
              INTO v_ids, v_states, v_rows, v_parts
              FROM unnest(v_ids, v_states, v_rows, v_parts) AS t(id, state, row, part);
        END IF;
        -- The pairs of the bindings locked (all of them, unless some were taken meanwhile).
        v_pairs := CASE WHEN cardinality(v_ids) = cardinality(v_cand) THEN v_cand_pairs
                        ELSE ARRAY(SELECT c.pair FROM unnest(v_cand, v_cand_pairs) AS c(id, pair)
                                    WHERE c.id = ANY (v_ids) ORDER BY c.id) END;
    ELSE
        SELECT array_agg(t.id ORDER BY t.id), array_agg(t.state ORDER BY t.id),
               array_agg(t.part ORDER BY t.id), array_agg(t.row ORDER BY t.id)
          INTO v_ids, v_states, v_parts, v_rows
          FROM (SELECT b.id, b.state, b.tableoid AS part, b.ctid AS row FROM bindings b
                 WHERE b.id = ANY (p_ids) AND binding_state_live(b.state)
                   AND (NOT p_only_overdue OR b.expires_at <= p_now)
                 FOR UPDATE) t;
    END IF;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;
    -- The ones left open, for reconciliation, and the ones the routing caches may hold
    -- (bindings_changed()'s "was settled": the caches hold no pending or unknown one). Nearly
    -- always every one was active (live and not open): then none is open and all are settled,
    -- without a pass.
    IF v_states[1] = ALL (v_states) AND NOT binding_state_open(v_states[1]) THEN
        v_routed := v_ids;
    ELSE
        SELECT array_agg(t.id) FILTER (WHERE binding_state_open(t.state)),
               array_agg(t.id) FILTER (WHERE t.state NOT IN ('pending', 'unknown'))
          INTO v_open, v_routed
          FROM unnest(v_ids, v_states) AS t(id, state);
    END IF;
    -- (nearly always one partition holds them all: then it is the only one, and every row its)
    v_one_part := v_parts[1] = ALL (v_parts);
    -- (the outbox is written by the events' trigger on their parent)
    v_via_parent := webhook_wanted_types() IS NOT NULL;
    -- A sweep's batch (its own transaction, src/bindings/binding-expiry.repository.ts) commits
    -- without waiting for its WAL flush, unless a webhook endpoint is owed its events: a crash of
    -- the database may lose the last batches (~0.6 s at most: three wal_writer_delay) only as
    -- wholes, never in part, and what they ended is still due, so the next sweep ends it again,
    -- with its events. Nothing outside the database acts on a lost batch: the caches it told
    -- only read again; a bind on a freed pair, or reconciliation of a queued binding, commits
    -- durably, which flushes this commit first (the WAL is flushed in order). Only a webhook
    -- could be sent for an event that is then lost and written again under another id: with an
    -- endpoint, the batch commits durably, as every other change does.
    IF p_ids IS NULL AND NOT v_via_parent THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    PERFORM set_config('axb.expire_followed', 'on', true);
    -- (the rows and events of one partition: all of them, or, across a month's end, a part)
    FOR v_part IN SELECT v_parts[1] WHERE v_one_part
                  UNION ALL
                  SELECT DISTINCT u.p FROM unnest(v_parts) AS u(p) WHERE NOT v_one_part LOOP
        -- (By the addresses, never by reading the month: the planner prices a TID scan at one
        -- random page per address, so for a batch of 5,000 it chose a sequential scan of any
        -- month under ~20,000 pages (160 MB), and each batch read every row of the month: a
        -- sweep quadratic in what was due, 26 µs a row at 100k and 40 at 300k. Set for this one
        -- statement only: set for the whole function, it cost the other statements more than
        -- the scan it saved.)
        PERFORM set_config('enable_seqscan', 'off', true);
        EXECUTE format('UPDATE %s SET state = ''expired'', ended_at = $1, updated_at = $1 '
                       'WHERE ctid = ANY ($2)', v_part::regclass)
          USING p_now,
                CASE WHEN v_one_part THEN v_rows
                     ELSE ARRAY(SELECT u.r FROM unnest(v_parts, v_rows) AS u(p, r)
                                 WHERE u.p = v_part) END;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        PERFORM set_config('enable_seqscan', v_seqscan, true);
        -- (locked rows do not move; anything else is a bug, and nothing is left half done)
        IF v_n <> (CASE WHEN v_one_part THEN cardinality(v_parts)
                        ELSE (SELECT count(*) FROM unnest(v_parts) AS u(p) WHERE u.p = v_part)
                   END) THEN
            RAISE EXCEPTION 'expire_bindings: % of the locked rows of % updated', v_n,
                            v_part::regclass;
        END IF;
        v_events := NULL;
        IF NOT v_via_parent THEN
            SELECT i.inhrelid::regclass INTO v_events
              FROM pg_class c JOIN pg_inherits i
                ON i.inhparent = 'binding_events'::regclass
               AND i.inhrelid = to_regclass(format('%I',
                                    'binding_events' || substr(c.relname, length('bindings') + 1)))
             WHERE c.oid = v_part AND c.relname LIKE 'bindings\_%';
        END IF;
        -- One insert per state the bindings left, its details built once: nearly always all of
        -- them were active, and the insert is a plain one from the ids. (Built for each event,
        -- the details cost a fifth of the insert.)
        FOR v_state, v_state_ids IN
            SELECT v_states[1],
                   CASE WHEN v_one_part THEN v_ids
                        ELSE ARRAY(SELECT u.id FROM unnest(v_ids, v_parts) AS u(id, p)
                                    WHERE u.p = v_part) END
             WHERE v_states[1] = ALL (v_states)
            UNION ALL
            SELECT u.state, array_agg(u.id ORDER BY u.id)
              FROM unnest(v_ids, v_states, v_parts) AS u(id, state, p)
             WHERE v_states[1] <> ANY (v_states) AND u.p = v_part
             GROUP BY u.state
        LOOP
            EXECUTE format('INSERT INTO %s (binding_id, kind, actor, at, details) '
                           'SELECT u.id, ''expired'', $1, $2, $3 FROM unnest($4) AS u(id)',
                           coalesce(v_events, 'binding_events'::regclass))
              USING p_actor, p_now, p_details || jsonb_build_object('previousState', v_state),
                    v_state_ids;
        END LOOP;
    END LOOP;
    PERFORM set_config('axb.expire_followed', '', true);

    -- The sweep's pairs by their addresses, as its scan found them (live_pairs is one table, so
    -- a ctid names one row: no index probe per pair), when those are still exactly its pairs. A
    -- pair changed since that scan (its binding was locked only after) has another address, and
    -- its old one may even hold another pair by now: then that delete is undone and the pairs
    -- end by binding id.
    IF v_pairs IS NOT NULL THEN
        BEGIN
            WITH gone AS (DELETE FROM live_pairs lp WHERE lp.ctid = ANY (v_pairs)
                          RETURNING lp.binding_id)
            SELECT array_agg(g.binding_id ORDER BY g.binding_id) INTO v_gone FROM gone g;
            IF v_gone IS DISTINCT FROM v_ids THEN
                RAISE EXCEPTION USING ERRCODE = 'AXB02';
            END IF;
        EXCEPTION WHEN SQLSTATE 'AXB02' THEN
            v_pairs := NULL;
        END;
    END IF;
    IF v_pairs IS NULL THEN
        PERFORM live_pairs_end(v_ids);
    END IF;
    IF p_provider_checked THEN
        PERFORM reconcile_queue_settle(v_ids);
    ELSIF v_open IS NOT NULL THEN
        -- (reconcile_queue_enqueue() for these rows: since their change, no attempts yet)
        INSERT INTO reconcile_queue (binding_id, since)
        SELECT u.id, p_now FROM unnest(v_open) AS u(id)
        ON CONFLICT ON CONSTRAINT reconcile_queue_pkey
        DO UPDATE SET since = excluded.since, attempts = 0, next_at = NULL;
    END IF;
    IF cardinality(v_ids) > routing_cache_max_keys() THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
    ELSIF v_routed IS NOT NULL THEN
        PERFORM routing_cache_publish_ids(v_routed);
    END IF;
    RETURN QUERY SELECT u.id, u.state, v_due_through FROM unnest(v_ids, v_states) AS u(id, state);
END $$;

-- Its locking scan's plan is generic from the first call: custom plans, made for each call's
-- arguments, cost planning time every call for the same plan. (The update and the insert are
-- planned at each call, their partitions being known only then: a TID scan and a plain insert.)
ALTER FUNCTION expire_bindings(uuid[], integer, timestamptz, text, jsonb, boolean, boolean,
                               integer, integer, timestamptz)
    SET plan_cache_mode = force_generic_plan;

-- Claims X for the pair (claim_x(), 020_live_pairs.sql) and, when it did, expires the live
-- bindings of A or B on that X that are overdue: their pairs are free at once, before any sweep.
DROP FUNCTION IF EXISTS take_x(text, timestamptz, text, text, text, text, boolean, text, text[],
                               integer);
DROP FUNCTION IF EXISTS take_x(text, timestamptz, text, text, text, text, boolean, text, text[],
                               integer, boolean, text[], text[], text[]);
DROP FUNCTION IF EXISTS take_x(text, timestamptz, text, text, text, text, boolean, text, text[],
                               integer, boolean, text[], text[], text[], text[]);
CREATE OR REPLACE FUNCTION take_x(p_actor text, p_now timestamptz,
                                  p_pool text, p_a text, p_b text, p_city text,
                                  p_city_strict boolean, p_pinned text, p_exclude text[],
                                  p_max_pairs integer, p_wait boolean DEFAULT true,
                                  p_batch_x text[] DEFAULT '{}', p_batch_a text[] DEFAULT '{}',
                                  p_batch_b text[] DEFAULT '{}', p_ranked text[] DEFAULT NULL,
                                  p_from integer DEFAULT 1)
RETURNS x_claim
LANGUAGE plpgsql AS $$
DECLARE
    v_claim x_claim;
BEGIN
    v_claim := claim_x(p_pool, p_a, p_b, p_city, p_city_strict, p_pinned, p_exclude,
                       p_max_pairs, p_now, p_wait, p_batch_x, p_batch_a, p_batch_b, p_ranked,
                       p_from);
    -- (found by the claim's own pass over X's pairs, under X's lock)
    IF v_claim.number IS NOT NULL AND v_claim.overdue IS NOT NULL THEN
        PERFORM 1 FROM expire_bindings(v_claim.overdue, NULL, p_now, p_actor,
                                       '{"reason": "pair reused after expiry"}', true);
    END IF;
    RETURN v_claim;
END $$;

-- What place_bindings() and move_binding() answer: an outcome, and the binding's columns (NULL
-- when a claim was refused).
DROP FUNCTION IF EXISTS place_binding(text, boolean, timestamptz, text, jsonb, timestamptz, text,
                                      text, text, text, boolean, text, text[], integer);
DROP TYPE IF EXISTS binding_placement CASCADE;
CREATE TYPE binding_placement AS (
    outcome text, id uuid, pool_key varchar, out_id varchar, phone_a varchar, phone_b varchar,
    phone_x varchar, subs_id varchar, city varchar, city_strict boolean, record boolean,
    state binding_state, expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
    ended_at timestamptz,
    -- call control and trip phase (issue 23; src/bindings/binding-row.ts)
    out_order_id varchar, call_restrict varchar, call_display_type smallint, call_timeout smallint,
    ring_config jsonb, dtmf_config jsonb, asr_status boolean, asr_model_id varchar,
    trip_ended_at timestamptz, contact_until timestamptz,
    -- the caller group that made it (issue 27)
    owner varchar
);

-- Places the pending bindings of a batch of binds (`p_items`, a JSON array of
-- {i, outId, record, expiresAt, actor, details, pool, a, b, city, cityStrict, pinned, exclude,
-- maxPairs, callControl, owner, seesAll}) in one call, answering one row per item (`i`, its outcome, the binding). For each:
--  1. one placement per order at a time, across instances (a transaction-scoped advisory lock on
--     the order), so the order's existing live binding is found before any X is considered: the
--     same order sent to two instances at once gives the second the first one's binding
--     ('replay'), never a clash with it. A replay is only for the caller group that made the
--     binding (`owner`; `seesAll`: an admin key): any other gets 'taken' and nothing of it
--     (issue 27: order keys are scoped). One already overdue is expired here and a new one made;
--  2. take_x(): claim_x() for the pair (its refusal is the outcome), counting the pairs placed
--     earlier in the call, and the expiry of overdue live bindings of A or B on that X.
-- Then every placed binding is inserted `pending` with its `created` event, in one statement
-- each, so the triggers that keep the live pairs and the reconciliation queue run once per call,
-- not once per bind ('placed'). Binds that arrive together share the round trip, the triggers
-- and the commit: that is how the service beats a bind that commits alone. `callControl` holds
-- the BindAxb options the binding keeps (outOrderId, callRestrict, callDisplayType, callTimeout,
-- ringConfig, dtmfConfig, asrStatus, asrModelId; absent keys are NULL / false); `ha` / `hb` the
-- keyed hashes of A and B (hex, computed by the service: the secret never comes here; absent
-- without one), which admin search by phone goes through (migration 20261207060000).
--
-- `p_wait`: wait for an order or a number another transaction holds (a single placement); or,
-- as a batch does, never wait: such an item answers 'busy' and is placed again alone. Orders are
-- locked in one global order (their lock keys sorted), numbers only with SKIP LOCKED, so a batch
-- holds no lock another transaction waits for while it waits itself: batches cannot deadlock.
-- The live pairs' unique indexes remain the backstop for every invariant.
DROP FUNCTION IF EXISTS place_bindings(jsonb, timestamptz, boolean);
CREATE OR REPLACE FUNCTION place_bindings(p_items jsonb, p_now timestamptz, p_wait boolean)
RETURNS TABLE (i integer, outcome text, id uuid, pool_key varchar, out_id varchar,
               phone_a varchar, phone_b varchar, phone_x varchar, subs_id varchar, city varchar,
               city_strict boolean, record boolean, state binding_state,
               expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
               ended_at timestamptz,
               -- call control and trip phase (issue 23; src/bindings/binding-row.ts)
               out_order_id varchar, call_restrict varchar, call_display_type smallint,
               call_timeout smallint, ring_config jsonb, dtmf_config jsonb, asr_status boolean,
               asr_model_id varchar, trip_ended_at timestamptz, contact_until timestamptz,
               owner varchar)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    r record;
    v_key bigint;
    v_live live_pairs%ROWTYPE;
    v_claim x_claim;
    v_orders text[] := '{}';
    -- The last claim's ranking of its pool's numbers, and its terms (pool, city, strict): the next
    -- item of the same terms is claimed from it (claim_x()'s `p_ranked`), from the number after
    -- the last one claimed from it on (`p_from`).
    v_ranked text[];
    v_from integer := 1;
    v_rank_terms text;
    v_terms text;
    -- What this call places, inserted together at the end.
    v_i int[] := '{}';
    v_id uuid[] := '{}';
    v_out text[] := '{}';
    v_pool text[] := '{}';
    v_a text[] := '{}';
    v_b text[] := '{}';
    v_x text[] := '{}';
    v_city text[] := '{}';
    v_strict boolean[] := '{}';
    v_record boolean[] := '{}';
    v_expires timestamptz[] := '{}';
    v_actor text[] := '{}';
    v_details jsonb[] := '{}';
    v_cc jsonb[] := '{}';
    v_owner text[] := '{}';
    v_ha bytea[] := '{}';
    v_hb bytea[] := '{}';
BEGIN
    FOR r IN
        SELECT t.*, hashtextextended('axb-order:' || t.pool || ':' || t."outId", 0) AS lock_key
          FROM jsonb_to_recordset(p_items) AS t(
               i int, "outId" text, record boolean, "expiresAt" timestamptz, actor text,
               details jsonb, pool text, a text, b text, city text, "cityStrict" boolean,
               pinned text, exclude text[], "maxPairs" int, "callControl" jsonb, owner text,
               "seesAll" boolean, ha text, hb text)
         ORDER BY lock_key, t.i
    LOOP
        v_key := r.lock_key;
        IF (r.pool || ':' || r."outId") = ANY (v_orders) THEN
            -- The same order twice in one call: the later one after the earlier has landed.
            RETURN QUERY SELECT r.i, 'busy'::text, NULL::uuid, NULL::varchar, NULL::varchar,
                NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar,
                NULL::boolean, NULL::boolean, NULL::binding_state, NULL::timestamptz,
                NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar, NULL::varchar, NULL::smallint, NULL::smallint, NULL::jsonb,
                NULL::jsonb, NULL::boolean, NULL::varchar, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar;
            CONTINUE;
        END IF;
        IF p_wait THEN
            PERFORM pg_advisory_xact_lock(v_key);
        ELSIF NOT pg_try_advisory_xact_lock(v_key) THEN
            RETURN QUERY SELECT r.i, 'busy'::text, NULL::uuid, NULL::varchar, NULL::varchar,
                NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar,
                NULL::boolean, NULL::boolean, NULL::binding_state, NULL::timestamptz,
                NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar, NULL::varchar, NULL::smallint, NULL::smallint, NULL::jsonb,
                NULL::jsonb, NULL::boolean, NULL::varchar, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar;
            CONTINUE;
        END IF;
        v_orders := v_orders || (r.pool || ':' || r."outId");
        SELECT * INTO v_live FROM live_pairs lp WHERE lp.pool_key = r.pool AND lp.out_id = r."outId";
        IF FOUND THEN
            IF v_live.expires_at > p_now THEN
                -- A replay only for the caller group that made it (or an admin key); to anyone
                -- else the order is 'taken', and nothing of its binding leaves this function.
                RETURN QUERY SELECT r.i, 'replay'::text, b.id, b.pool_key, b.out_id, b.phone_a,
                                    b.phone_b, b.phone_x, b.subs_id, b.city, b.city_strict,
                                    b.record, b.state, b.expires_at, b.created_at, b.updated_at,
                                    b.ended_at, b.out_order_id, b.call_restrict,
                                    b.call_display_type, b.call_timeout, b.ring_config,
                                    b.dtmf_config, b.asr_status, b.asr_model_id,
                                    b.trip_ended_at, b.contact_until, b.owner
                               FROM bindings b
                              WHERE b.id = v_live.binding_id
                                AND (coalesce(r."seesAll", false) OR b.owner = r.owner);
                IF NOT FOUND THEN
                    RETURN QUERY SELECT r.i, 'taken'::text, NULL::uuid, NULL::varchar,
                        NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar,
                        NULL::varchar, NULL::varchar, NULL::boolean, NULL::boolean,
                        NULL::binding_state, NULL::timestamptz, NULL::timestamptz,
                        NULL::timestamptz, NULL::timestamptz, NULL::varchar, NULL::varchar,
                        NULL::smallint, NULL::smallint, NULL::jsonb, NULL::jsonb, NULL::boolean,
                        NULL::varchar, NULL::timestamptz, NULL::timestamptz, NULL::varchar;
                END IF;
                CONTINUE;
            END IF;
            PERFORM 1 FROM expire_bindings(ARRAY[v_live.binding_id], NULL, p_now, r.actor,
                                           '{"reason": "order bound again after its expiry"}',
                                           true);
        END IF;

        v_terms := jsonb_build_array(r.pool, r.city, r."cityStrict")::text;
        v_claim := take_x(r.actor, p_now, r.pool, r.a, r.b, r.city, r."cityStrict", r.pinned,
                          r.exclude, r."maxPairs", p_wait, v_x, v_a, v_b,
                          CASE WHEN v_rank_terms = v_terms THEN v_ranked END, v_from);
        IF v_claim.ranked IS NOT NULL THEN
            v_ranked := v_claim.ranked;
            v_rank_terms := v_terms;
        END IF;
        IF v_claim.pos IS NOT NULL THEN
            v_from := v_claim.pos + 1;
        END IF;
        IF v_claim.number IS NULL THEN
            RETURN QUERY SELECT r.i, v_claim.refusal, NULL::uuid, NULL::varchar, NULL::varchar,
                NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar,
                NULL::boolean, NULL::boolean, NULL::binding_state, NULL::timestamptz,
                NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar, NULL::varchar, NULL::smallint, NULL::smallint, NULL::jsonb,
                NULL::jsonb, NULL::boolean, NULL::varchar, NULL::timestamptz, NULL::timestamptz,
                NULL::varchar;
            CONTINUE;
        END IF;
        v_i := v_i || r.i;
        v_id := v_id || binding_id_at(p_now);
        v_out := v_out || r."outId";
        v_pool := v_pool || r.pool;
        v_a := v_a || r.a;
        v_b := v_b || r.b;
        v_x := v_x || v_claim.number;
        v_city := v_city || r.city;
        v_strict := v_strict || v_claim.city_strict;
        v_record := v_record || r.record;
        v_expires := v_expires || r."expiresAt";
        v_actor := v_actor || r.actor;
        v_details := v_details || r.details;
        v_cc := v_cc || coalesce(r."callControl", '{}');
        v_owner := v_owner || r.owner;
        v_ha := v_ha || decode(r.ha, 'hex');
        v_hb := v_hb || decode(r.hb, 'hex');
    END LOOP;

    IF cardinality(v_id) = 0 THEN
        RETURN;
    END IF;
    -- The bindings, their `created` events, and what the record's trigger (bindings_changed(),
    -- 030_binding_record.sql) would do for an insert of these rows, exactly: each is live on its
    -- X (its pair begins) and open (queued for reconciliation since its change, no attempts);
    -- none has a SubsId yet, and an insert tells the routing caches nothing. The events belong
    -- to the bindings inserted with them (the events' check has nothing to find). One statement;
    -- the trigger and the check skip it (`axb.bind_followed`, set for it only).
    PERFORM set_config('axb.bind_followed', 'on', true);
    WITH t AS (
        SELECT * FROM unnest(v_id, v_pool, v_out, v_a, v_b, v_x, v_city, v_strict, v_record,
                             v_expires, v_cc, v_owner, v_ha, v_hb, v_actor, v_details)
               AS t(id, pool, out_id, a, b, x, city, strict, record, expires, cc, owner, ha, hb,
                    actor, details)
    ), record AS (
        INSERT INTO bindings (id, pool_key, out_id, phone_a, phone_b, phone_x, city, city_strict,
                              record, state, expires_at, created_at, updated_at,
                              out_order_id, call_restrict, call_display_type, call_timeout,
                              ring_config, dtmf_config, asr_status, asr_model_id, owner,
                              phone_a_hash, phone_b_hash)
        SELECT t.id, t.pool, t.out_id, t.a, t.b, t.x, t.city, t.strict, t.record, 'pending',
               t.expires, p_now, p_now,
               t.cc ->> 'outOrderId', t.cc ->> 'callRestrict',
               (t.cc ->> 'callDisplayType')::smallint, (t.cc ->> 'callTimeout')::smallint,
               t.cc -> 'ringConfig', t.cc -> 'dtmfConfig',
               coalesce((t.cc ->> 'asrStatus')::boolean, false), t.cc ->> 'asrModelId', t.owner,
               t.ha, t.hb
          FROM t
    ), events AS (
        INSERT INTO binding_events (binding_id, kind, actor, at, details)
        SELECT t.id, 'created', t.actor, p_now, t.details FROM t
    ), pairs AS (
        INSERT INTO live_pairs (binding_id, pool_key, out_id, x, a, b, expires_at)
        SELECT t.id, t.pool, t.out_id, t.x, t.a, t.b, t.expires FROM t
    )
    INSERT INTO reconcile_queue (binding_id, since)
    SELECT t.id, p_now FROM t
    ON CONFLICT (binding_id) DO UPDATE SET since = excluded.since, attempts = 0, next_at = NULL;
    PERFORM set_config('axb.bind_followed', '', true);
    RETURN QUERY
        SELECT t.i, 'placed'::text, t.id, t.pool::varchar, t.out_id::varchar, t.a::varchar,
               t.b::varchar, t.x::varchar, NULL::varchar, t.city::varchar, t.strict, t.record,
               'pending'::binding_state, t.expires, p_now, p_now, NULL::timestamptz,
               (t.cc ->> 'outOrderId')::varchar, (t.cc ->> 'callRestrict')::varchar,
               (t.cc ->> 'callDisplayType')::smallint, (t.cc ->> 'callTimeout')::smallint,
               t.cc -> 'ringConfig', t.cc -> 'dtmfConfig',
               coalesce((t.cc ->> 'asrStatus')::boolean, false), (t.cc ->> 'asrModelId')::varchar,
               NULL::timestamptz, NULL::timestamptz, t.owner::varchar
          FROM unnest(v_i, v_id, v_pool, v_out, v_a, v_b, v_x, v_city, v_strict, v_record,
                      v_expires, v_cc, v_owner)
               AS t(i, id, pool, out_id, a, b, x, city, strict, record, expires, cc, owner);
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
                            b.asr_model_id, b.trip_ended_at, b.contact_until, b.owner
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
                        b.trip_ended_at, b.contact_until, b.owner
                   FROM bindings b WHERE b.id = p_id;
END $$;

-- Settles the binds BindAxb answered (`p_answers`, a JSON array of {id, subs, actor, details}), in
-- one statement: a pending binding becomes `active` with its SubsId and a `bound` event. One the
-- order service asked to unbind while the bind was in flight (`unbinding`, no SubsId yet) only
-- records the SubsId, so the unbind that follows can address it; it never becomes active again.
-- Bindings settled by someone else meanwhile are left as they are and not returned. It writes
-- only unindexed columns of the record (a HOT update); the reconciliation queue and the SubsId's
-- lookup row follow by the record's trigger (030_binding_record.sql).
-- The state BindAxb's answer leaves a binding in: a pending one becomes active, an unbinding one
-- stays so. (SQL, immutable: inlined into the statement, no call per row.)
CREATE OR REPLACE FUNCTION binding_state_after_bind(p_state binding_state) RETURNS binding_state
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_state = 'pending' THEN 'active'::binding_state ELSE p_state END
$$;

--
-- What the record's trigger (bindings_changed(), 030_binding_record.sql) would do for its update
-- is done here, from the rows it returns (the trigger and the events' check skip it while
-- `axb.bind_followed` is set): of the rows this update can change, exactly
--   a pending one (now active) was settled: it leaves the reconciliation queue; its pair, order
--     and routing columns are as they were, and a pending binding is in no routing cache;
--   an unbinding one (its SubsId was NULL) stays open, so stays queued as it is; a cache may
--     hold it, and its SubsId changed: the caches are told its id;
--   each one's SubsId, when it has one, is recorded (binding_subscriptions, once: a SubsId it
--     already had is there already);
--   beyond routing_cache_max_keys() rows, the caches are told "all" instead.
-- The events belong to the bindings the update has just returned (the check has nothing to find).
CREATE OR REPLACE FUNCTION settle_bound(p_answers jsonb, p_now timestamptz)
RETURNS SETOF bindings
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bindings[];
    v_routed text[];
    v_types text[] := webhook_wanted_types();
    -- The bindings' keys, an index condition of the update: joined to the answers alone, a
    -- generic plan made while the month was small hashed a scan of the whole month (and of the
    -- default partition) and filtered it, every settle (issue 24's bench: 11,990 rows read to
    -- settle 1; settle_bound's time a bind grew 184 → 780 µs over 8 phases).
    v_ids uuid[] := ARRAY(SELECT (a ->> 'id')::uuid FROM jsonb_array_elements(p_answers) a);
BEGIN
    -- (the update, its events, the queue, the SubsIds and the events' outbox rows: one statement,
    -- which the record's trigger, the events' check and the events' outbox trigger skip)
    PERFORM set_config('axb.bind_followed', 'on', true);
    WITH input AS (
        SELECT * FROM jsonb_to_recordset(p_answers) AS i(id uuid, subs text, actor text, details jsonb)
    ), b AS (
        UPDATE bindings
           SET state = binding_state_after_bind(bindings.state),
               subs_id = i.subs, updated_at = p_now
          FROM input i
         WHERE bindings.id = i.id
           AND bindings.id = ANY (v_ids)
           AND (bindings.state = 'pending'
                OR (bindings.state = 'unbinding' AND bindings.subs_id IS NULL))
        RETURNING bindings.*
    ), e AS (
        INSERT INTO binding_events (binding_id, kind, actor, at, details)
        SELECT b.id, 'bound', i.actor, p_now, i.details
          FROM b JOIN input i ON i.id = b.id
    ), settled AS (
        DELETE FROM reconcile_queue q USING b
         WHERE q.binding_id = b.id AND q.binding_id = ANY (v_ids) AND b.state <> 'unbinding'
    ), subs AS (
        INSERT INTO binding_subscriptions (subs_id, binding_id, learnt_at)
        SELECT b.subs_id, b.id, b.updated_at FROM b WHERE b.subs_id IS NOT NULL
        ON CONFLICT DO NOTHING
    ), hooks AS (
        -- The outbox rows the events' trigger (080_webhook_outbox.sql) would write for these
        -- `bound` events, exactly (binding.created, the binding as this update left it), from
        -- the rows in hand: the trigger read them back from the partitioned bindings, a plan
        -- made at every statement. (Settles of 4 in a DO loop, jit off, 3 endpoints: ~125
        -- against ~145 µs a bind; what 3 endpoints add to a settle ~40 against ~50 µs.)
        INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
        SELECT webhook_msg_id(), m.type, b.id, p_now,
               webhook_binding_data(ROW(b.*)::bindings, i.actor) || m.extra
          FROM b JOIN input i ON i.id = b.id
         CROSS JOIN LATERAL webhook_binding_event('bound', i.details, b.state, b.contact_until) m
         WHERE m.type = ANY (v_types)
         ORDER BY b.id
    )
    SELECT array_agg(b) INTO v_rows FROM b;
    PERFORM set_config('axb.bind_followed', '', true);
    IF v_rows IS NULL THEN
        RETURN;
    END IF;
    IF cardinality(v_rows) > routing_cache_max_keys() THEN
        PERFORM pg_notify('axb_routing_cache', '{"all":true}');
    ELSE
        v_routed := ARRAY(SELECT '"' || (r).id || '"' FROM unnest(v_rows) r
                           WHERE (r).state = 'unbinding' AND (r).subs_id IS NOT NULL);
        IF cardinality(v_routed) > 0 THEN
            PERFORM routing_cache_publish('b', v_routed);
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_rows);
END $$;

-- One round of the bind path's writes (src/bindings/placement.repository.ts): the settles of the
-- binds BindAxb answered (settle_bound(), rows with `i` -1 and outcome 'bound') and the
-- placements of new binds (place_bindings() as a batch: never waiting), in one statement and one
-- commit. Binds in flight share the commit whichever step they are at.
CREATE OR REPLACE FUNCTION bind_round(p_answers jsonb, p_answered_at timestamptz,
                                      p_items jsonb, p_now timestamptz)
RETURNS TABLE (i integer, outcome text, id uuid, pool_key varchar, out_id varchar,
               phone_a varchar, phone_b varchar, phone_x varchar, subs_id varchar, city varchar,
               city_strict boolean, record boolean, state binding_state,
               expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
               ended_at timestamptz,
               out_order_id varchar, call_restrict varchar, call_display_type smallint,
               call_timeout smallint, ring_config jsonb, dtmf_config jsonb, asr_status boolean,
               asr_model_id varchar, trip_ended_at timestamptz, contact_until timestamptz,
               owner varchar)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT -1, 'bound'::text, s.id, s.pool_key, s.out_id, s.phone_a, s.phone_b, s.phone_x,
               s.subs_id, s.city, s.city_strict, s.record, s.state, s.expires_at, s.created_at,
               s.updated_at, s.ended_at, s.out_order_id, s.call_restrict, s.call_display_type,
               s.call_timeout, s.ring_config, s.dtmf_config, s.asr_status, s.asr_model_id,
               s.trip_ended_at, s.contact_until, s.owner
          FROM settle_bound(p_answers, p_answered_at) s;
    RETURN QUERY SELECT * FROM place_bindings(p_items, p_now, false);
END $$;

-- The bind path's functions run their statements with generic plans, cached per connection:
-- their statements branch on parameters, and the plan cache would otherwise plan them afresh
-- for every call.
ALTER FUNCTION take_x(text, timestamptz, text, text, text, text, boolean, text, text[], integer,
                     boolean, text[], text[], text[], text[], integer)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION place_bindings(jsonb, timestamptz, boolean)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION move_binding(uuid, text, jsonb, timestamptz, text, text, text, text, boolean, text,
                            text[], integer)
    SET plan_cache_mode = force_generic_plan;
-- Generic plans cost small tables (live_pairs on a fresh install) as sequential scans; every
-- statement here looks rows up by keys the indexes serve, at any size.
ALTER FUNCTION take_x(text, timestamptz, text, text, text, text, boolean, text, text[], integer,
                     boolean, text[], text[], text[], text[], integer)
    SET enable_seqscan = off;
ALTER FUNCTION place_bindings(jsonb, timestamptz, boolean) SET enable_seqscan = off;
ALTER FUNCTION move_binding(uuid, text, jsonb, timestamptz, text, text, text, text, boolean, text,
                            text[], integer)
    SET enable_seqscan = off;
-- settle_bound()'s update finds its bindings by id, a probe of the key each; planned from the
-- answers' JSON (estimated at 100 rows), it was a hash join over a sequential scan of every
-- month partition: a settle read the whole month, 2 ms a batch of 4 at 6,000 bindings. (With
-- sequential scans off it became a full scan of the key instead: hence the keys as an index
-- condition, `id = ANY (v_ids)`, above.)
ALTER FUNCTION settle_bound(jsonb, timestamptz) SET enable_seqscan = off;
ALTER FUNCTION settle_bound(jsonb, timestamptz) SET plan_cache_mode = force_generic_plan;
