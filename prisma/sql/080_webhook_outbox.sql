-- Events to subscribers (Standard Webhooks, src/webhooks): the outbox. Every change that owes a
-- subscriber an event writes it here, in the change's own transaction (invariant 9): a rolled-back
-- change leaves no event, a committed one has its row before anyone can see the change. The
-- dispatcher (src/webhooks/outbox-dispatcher.ts) turns rows into deliveries and pg-boss jobs.
--
-- The triggers are statement-level with transition tables: a sweep's batch of 5,000 expiries
-- writes its events in one INSERT … SELECT. Each first asks which event types an enabled endpoint
-- wants (a few rows): with none, the bind path pays that one lookup and nothing else.
--
-- Payloads are thin: ids, type, time, roles, masked numbers (webhook_mask_phone, the twin of
-- src/common/privacy/mask-phone.ts; test/unit/webhooks/mask-phone-sql.test.ts keeps them equal).
-- A real phone number is never written to the outbox.

-- plpgsql, not sql: a sql function that cannot be inlined (this one has a sub-select) is planned
-- again at every statement that calls it, and the binding trigger calls it three times per event:
-- as sql it was more than half of what an event cost the bind's transaction (1,000 one-event
-- inserts in a loop: ~3.7 ms each against ~1.6 ms as plpgsql, loaded machine; without endpoints
-- it is never called).
CREATE OR REPLACE FUNCTION webhook_mask_phone(p_phone text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    d text;
BEGIN
    IF p_phone IS NULL OR p_phone = '' THEN RETURN NULL; END IF;
    IF strpos(p_phone, '*') > 0 THEN RETURN p_phone; END IF;
    d := regexp_replace(p_phone, '\D', '', 'g');
    RETURN CASE WHEN length(d) >= 11 THEN left(d, 3) || '****' || right(d, 4)
                WHEN length(d) >= 7 THEN left(d, 2) || '****' || right(d, 2)
                ELSE repeat('*', length(d)) END;
END $$;

-- The event types some enabled endpoint wants now (null: none, the triggers write nothing).
-- plpgsql, not sql: a sql function that cannot be inlined is planned again on every call, and every
-- bind calls this twice (its two events), endpoints or none: 77 µs a call as sql, 14 µs as plpgsql
-- with its plan kept for the session (20,000 calls in a DO loop, the same database, loaded machine).
-- A type wanted by several endpoints is listed once for each (its callers only ask `= ANY`):
-- DISTINCT sorted the list at every call, ~40 % of the call with 3 endpoints of every type.
CREATE OR REPLACE FUNCTION webhook_wanted_types() RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT array_agg(t) FROM webhook_endpoints e, unnest(e.events) t WHERE e.enabled);
END $$;

-- A `webhook-id`: unique per event, the same for every endpoint and every retry.
CREATE OR REPLACE FUNCTION webhook_msg_id() RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT 'msg_' || replace(gen_random_uuid()::text, '-', '') $$;

-- ─── bindings: from their events (binding_events: every change has one, with its cause) ─────
--   bound                        → binding.created
--   reconciled, now active       → binding.created (a pending/unknown bind settled by a check)
--   updated / trip_ended         → binding.changed, with what changed
--   unbind_requested             → binding.ended, cause unbound or contact_window_closed (from
--                                  here on it routes nothing; the provider side ends after)
--   expired (not while unbinding) → binding.ended, cause expired
--   reconciled, now expired      → binding.ended, cause reconciled (the provider had ended it)
-- Which event (and what it adds to the payload) a binding event makes, null type for none. (Its
-- kinds are listed again in the one-event path of webhook_events_from_binding_events.)
-- A single-SELECT sql function returning a table: inlined where it is called (no call, no plan
-- of its own), in the set-wise INSERT and in the one-event path alike.
CREATE OR REPLACE FUNCTION webhook_binding_event(p_kind text, p_details jsonb, p_state binding_state,
                                                 p_contact_until timestamptz)
RETURNS TABLE (type text, extra jsonb)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
               WHEN p_kind = 'bound' THEN 'binding.created'
               WHEN p_kind = 'reconciled' AND p_state = 'active' THEN 'binding.created'
               WHEN p_kind IN ('updated', 'trip_ended') THEN 'binding.changed'
               WHEN p_kind = 'unbind_requested' THEN 'binding.ended'
               WHEN p_kind = 'expired'
                    AND p_details->>'previousState' IS DISTINCT FROM 'unbinding'
                    THEN 'binding.ended'
               WHEN p_kind = 'reconciled' AND p_state = 'expired' THEN 'binding.ended'
           END,
           CASE
               -- `changed` holds {field: {from, to}}: the field names only (a phone
               -- number may be among the values).
               WHEN p_kind = 'updated' THEN jsonb_build_object(
                   'change', CASE jsonb_typeof(p_details->'changed')
                                 WHEN 'object' THEN (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]')
                                                       FROM jsonb_object_keys(p_details->'changed') k)
                                 WHEN 'array' THEN p_details->'changed'
                                 ELSE '[]'::jsonb END)
               WHEN p_kind = 'trip_ended' THEN jsonb_build_object(
                   'change', '["tripEnded"]'::jsonb, 'contactUntil', p_contact_until)
               WHEN p_kind = 'unbind_requested' THEN jsonb_build_object(
                   'cause', CASE WHEN p_details->>'reason' = 'contact window closed'
                                 THEN 'contact_window_closed' ELSE 'unbound' END)
               WHEN p_kind = 'expired' THEN jsonb_build_object('cause', 'expired')
               WHEN p_kind = 'reconciled' AND p_state = 'expired'
                    THEN jsonb_build_object('cause', 'reconciled')
               ELSE '{}'::jsonb
           END $$;

-- The payload of a binding's event (masked numbers only).
CREATE OR REPLACE FUNCTION webhook_binding_data(b bindings, p_actor text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'bindingId', b.id, 'outId', b.out_id, 'poolKey', b.pool_key, 'state', b.state,
        'phoneA', webhook_mask_phone(b.phone_a), 'phoneB', webhook_mask_phone(b.phone_b),
        'phoneX', webhook_mask_phone(b.phone_x), 'expiresAt', b.expires_at, 'actor', p_actor) $$;

-- A binding's row, by id. Its own function for its plan: bindings is partitioned, and the plan
-- cache (plan_cache_mode auto, as inside bind_round()) made a custom plan for every call, planning
-- the lookup over every partition's indexes: ~70 µs a read against ~10 µs with the generic plan
-- (20,000 reads in a DO loop, loaded machine; run-time pruning picks the partition). With the
-- setting on the trigger function itself, every bind's trigger calls (endpoints or none) would
-- pay for it.
CREATE OR REPLACE FUNCTION webhook_binding_row(p_id uuid) RETURNS bindings
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_binding bindings;
BEGIN
    SELECT * INTO v_binding FROM bindings x WHERE x.id = p_id;
    RETURN v_binding;
END $$;

-- The bind path's own statements stop at its first test (`axb.bind_followed`): settle_bound()
-- writes its `bound` events' rows from the rows its update returns (050_bind_path.sql), and the
-- `created` events of place_bindings() make none. Of the rest, a statement of one event (an
-- update, an unbind, a single expiry) takes the first path: a query that
-- names a transition table is planned again at every statement (its plan is not kept), and the
-- set-wise INSERT joins the partitioned bindings, every partition's indexes planned each time.
-- This way only the small read of new_events is, and the rest keep their plans for the session:
-- a one-event `bound` statement with 3 endpoints ~115 µs of the backend's time against ~180 µs when its
-- binding was read with a custom plan each time (3,000 one-event inserts in a DO loop, one
-- transaction, loaded machine; ~26 µs without the trigger). Several events go set-wise, in one
-- INSERT … SELECT: from 4 events a statement on it costs less than one by one on the first path
-- (2,400 `updated` events in statements of 2 / 4 / 8 / 16: ~equal / ~90 against ~120 / ~60
-- against ~110 / ~45 against ~70 µs an event).
CREATE OR REPLACE FUNCTION webhook_events_from_binding_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[];
    v_event record;
    v_binding bindings;
    v_made record;
BEGIN
    -- The bind path's statements write their events' outbox rows themselves, from the rows in
    -- hand (settle_bound(); place_bindings()' `created` events make none): `axb.bind_followed`.
    IF current_setting('axb.bind_followed', true) = 'on' THEN RETURN NULL; END IF;
    v_types := webhook_wanted_types();
    IF v_types IS NULL THEN RETURN NULL; END IF;
    -- The first event of a kind webhook_binding_event() makes an event of, and how many there
    -- are, in one read: the others (created: every bind's first statement, a batch of binds' in
    -- one; routed, attempt_failed, …) stop here, before the binding is read and before the
    -- set-wise INSERT is planned for nothing. The same kinds as its CASE
    -- (test/database/webhook-mask-phone.test.ts runs every kind through both paths).
    SELECT n.binding_id, n.kind, n.actor, n.at, n.details, count(*) OVER () AS n INTO v_event
      FROM new_events n
     WHERE n.kind IN ('bound', 'reconciled', 'updated', 'trip_ended', 'unbind_requested', 'expired')
     LIMIT 1;
    IF NOT FOUND THEN RETURN NULL; END IF;
    IF v_event.n = 1 THEN
        v_binding := webhook_binding_row(v_event.binding_id);
        IF v_binding.id IS NULL THEN RETURN NULL; END IF;
        SELECT t.type, t.extra INTO v_made
          FROM webhook_binding_event(v_event.kind, v_event.details, v_binding.state,
                                     v_binding.contact_until) t;
        IF v_made.type = ANY (v_types) THEN
            INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
            VALUES (webhook_msg_id(), v_made.type, v_binding.id, v_event.at,
                    webhook_binding_data(v_binding, v_event.actor) || v_made.extra);
        END IF;
        RETURN NULL;
    END IF;
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), m.type, b.id, e.at, webhook_binding_data(b, e.actor) || m.extra
      FROM new_events e
      JOIN bindings b ON b.id = e.binding_id
      CROSS JOIN LATERAL webhook_binding_event(e.kind, e.details, b.state, b.contact_until) m
     WHERE m.type = ANY (v_types)
     ORDER BY e.at, e.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "binding_events_webhooks" AFTER INSERT ON "binding_events"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_from_binding_events();

-- ─── calls: progress (started, answered), the record (completed), the recording (ready) ─────
CREATE OR REPLACE FUNCTION webhook_events_from_call_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := webhook_wanted_types();
BEGIN
    IF v_types IS NULL THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), t.type, p.binding_id, coalesce(p.at, p.received_at),
           jsonb_build_object('callId', p.call_id, 'bindingId', p.binding_id, 'at', p.at)
      FROM new_progress p
      CROSS JOIN LATERAL (SELECT CASE p.stage WHEN 'started' THEN 'call.started'
                                              WHEN 'answered' THEN 'call.answered' END AS type) t
     WHERE t.type = ANY (v_types)
     ORDER BY p.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "call_progress_webhooks" AFTER INSERT ON "call_progress"
    REFERENCING NEW TABLE AS new_progress
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_from_call_progress();

-- call_type 0: A called B; 1: B called A; 4: intercepted by the platform (no roles known then).
CREATE OR REPLACE FUNCTION webhook_call_data(c call_records) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'callId', c.call_id, 'bindingId', c.binding_id, 'outId', c.out_id, 'poolKey', c.pool_key,
        'caller', CASE c.call_type WHEN 0 THEN 'A' WHEN 1 THEN 'B' END,
        'callee', CASE c.call_type WHEN 0 THEN 'B' WHEN 1 THEN 'A' END,
        'intercepted', c.call_type = 4,
        'phoneX', webhook_mask_phone(c.secret_no),
        'callTime', c.call_time, 'startTime', c.start_time, 'releaseTime', c.release_time,
        'durationSeconds', CASE WHEN c.start_time IS NOT NULL AND c.release_time IS NOT NULL
                                THEN greatest(0, floor(extract(epoch FROM
                                         c.release_time - c.start_time)))::int END,
        'releaseCause', c.release_cause,
        'releasedBy', CASE c.release_dir WHEN 0 THEN 'platform'
                                         WHEN 1 THEN CASE c.call_type WHEN 0 THEN 'A' WHEN 1 THEN 'B' END
                                         WHEN 2 THEN CASE c.call_type WHEN 0 THEN 'B' WHEN 1 THEN 'A' END
                      END) $$;

CREATE OR REPLACE FUNCTION webhook_recording_data(c call_records) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('callId', c.call_id, 'bindingId', c.binding_id, 'outId', c.out_id,
                              'poolKey', c.pool_key, 'callTime', c.call_time) $$;

CREATE OR REPLACE FUNCTION webhook_events_from_call_records() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := webhook_wanted_types();
BEGIN
    IF v_types IS NULL THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), 'call.completed', c.binding_id,
           coalesce(c.release_time, c.received_at), webhook_call_data(c)
      FROM new_records c
     WHERE 'call.completed' = ANY (v_types)
     ORDER BY c.id;
    -- A record stored after its recording's message comes already marked.
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), 'recording.ready', n.binding_id, n.recording_ready_at,
           webhook_recording_data(n)
      FROM new_records n
     WHERE 'recording.ready' = ANY (v_types) AND n.recording_ready_at IS NOT NULL
     ORDER BY n.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "call_records_webhooks_inserted" AFTER INSERT ON "call_records"
    REFERENCING NEW TABLE AS new_records
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_from_call_records();

CREATE OR REPLACE FUNCTION webhook_events_from_call_records_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := webhook_wanted_types();
BEGIN
    IF v_types IS NULL OR NOT 'recording.ready' = ANY (v_types) THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), 'recording.ready', n.binding_id, n.recording_ready_at,
           webhook_recording_data(n)
      FROM new_records n JOIN old_records o ON o.id = n.id
     WHERE n.recording_ready_at IS NOT NULL AND o.recording_ready_at IS NULL
     ORDER BY n.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "call_records_webhooks_updated" AFTER UPDATE ON "call_records"
    REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_from_call_records_updated();

-- ─── numbers: a health report that changed X's health ───────────────────────────────────────
CREATE OR REPLACE FUNCTION webhook_events_from_secret_numbers() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := webhook_wanted_types();
BEGIN
    IF v_types IS NULL OR NOT 'number.health_changed' = ANY (v_types) THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (msg_id, type, binding_id, occurred_at, data)
    SELECT webhook_msg_id(), 'number.health_changed', NULL, coalesce(n.health_at, now()),
           jsonb_build_object('numberId', n.id::text, 'poolKey', n.pool_key,
                              'phoneX', webhook_mask_phone(n.number), 'city', n.city,
                              'health', n.health, 'previousHealth', o.health,
                              'source', n.health_source)
      FROM new_numbers n JOIN old_numbers o ON o.id = n.id
     WHERE n.health IS DISTINCT FROM o.health
     ORDER BY n.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "secret_numbers_webhooks" AFTER UPDATE ON "secret_numbers"
    REFERENCING OLD TABLE AS old_numbers NEW TABLE AS new_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_from_secret_numbers();
