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

CREATE OR REPLACE FUNCTION bindings_delete_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM binding_events e USING gone_bindings g WHERE e.binding_id = g.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER "bindings_deleted_events" AFTER DELETE ON "bindings"
    REFERENCING OLD TABLE AS gone_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION bindings_delete_events();

-- A SubsId is written once, when it is learnt (BindAxb answered, reconciliation found it): the
-- record's subs_id column is not indexed (settling writes it, and its updates stay HOT), so the
-- lookups by SubsId (provider reports) go through this table.
CREATE OR REPLACE FUNCTION binding_subscriptions_follow_bindings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO binding_subscriptions (subs_id, binding_id, learnt_at)
        SELECT n.subs_id, n.id, n.updated_at FROM new_rows n WHERE n.subs_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO binding_subscriptions (subs_id, binding_id, learnt_at)
        SELECT n.subs_id, n.id, n.updated_at
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE n.subs_id IS NOT NULL AND n.subs_id IS DISTINCT FROM o.subs_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Its queries join the statement's transition tables (old_rows, new_rows), whose plans are cached
-- per connection from their first run: planned on a one-row settle, a nested loop would then be
-- used for a 5,000-row sweep (quadratic: seconds). Hash joins are right at every size.
ALTER FUNCTION binding_subscriptions_follow_bindings() SET enable_nestloop = off;

CREATE OR REPLACE TRIGGER "bindings_subscriptions_insert" AFTER INSERT ON "bindings"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION binding_subscriptions_follow_bindings();
CREATE OR REPLACE TRIGGER "bindings_subscriptions_update" AFTER UPDATE ON "bindings"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION binding_subscriptions_follow_bindings();
