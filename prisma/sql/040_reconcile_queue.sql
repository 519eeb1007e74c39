-- Scheduler: the bindings awaiting reconciliation (src/scheduler/reconciliation.repository.ts).
--
-- reconcile_queue holds a binding while its provider side is open (pending, unknown, unbinding),
-- and after it ended by expiry while open, until reconciliation has checked the provider side.
-- It follows the record's state through the trigger below, whoever changes it:
--   becomes open, or moves between open states   → (re)queued: `since` = the change, no attempts;
--   leaves an open state by expiry               → kept, due at once: the provider check;
--   leaves an open state otherwise (settled)     → dequeued.
-- Reconciliation itself dequeues a binding when it settles it (expire_bindings() when told the
-- provider was just asked), and counts failed attempts and leases in `attempts` / `next_at`.

CREATE OR REPLACE FUNCTION reconcile_queue_follow_bindings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_settled uuid[];
    v_queued uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reconcile_queue (binding_id, since)
        SELECT n.id, n.updated_at FROM new_rows n WHERE binding_state_open(n.state)
        ON CONFLICT (binding_id) DO UPDATE
           SET since = excluded.since, attempts = 0, next_at = NULL;
        RETURN NULL;
    END IF;
    -- UPDATE: the rows whose state changed, in one pass; each change then by primary key.
    SELECT array_agg(c.id) FILTER (WHERE c.was_open AND NOT c.is_open AND c.state <> 'expired'),
           array_agg(c.id) FILTER (WHERE c.is_open OR (c.was_open AND c.state = 'expired'))
      INTO v_settled, v_queued
      FROM (SELECT n.id, n.state, binding_state_open(o.state) AS was_open,
                   binding_state_open(n.state) AS is_open
              FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.state <> o.state) c;
    IF v_settled IS NOT NULL THEN
        DELETE FROM reconcile_queue WHERE binding_id = ANY (v_settled);
    END IF;
    IF v_queued IS NOT NULL THEN
        INSERT INTO reconcile_queue (binding_id, since)
        SELECT n.id, n.updated_at FROM new_rows n WHERE n.id = ANY (v_queued)
        ON CONFLICT (binding_id) DO UPDATE SET since = excluded.since, attempts = 0, next_at = NULL;
    END IF;
    RETURN NULL;
END $$;

-- Its queries join the statement's transition tables (old_rows, new_rows), whose plans are cached
-- per connection from their first run: planned on a one-row settle, a nested loop would then be
-- used for a 5,000-row sweep (quadratic: seconds). Hash joins are right at every size.
ALTER FUNCTION reconcile_queue_follow_bindings() SET enable_nestloop = off;

CREATE OR REPLACE TRIGGER "bindings_reconcile_queue_insert" AFTER INSERT ON "bindings"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reconcile_queue_follow_bindings();
CREATE OR REPLACE TRIGGER "bindings_reconcile_queue_update" AFTER UPDATE ON "bindings"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reconcile_queue_follow_bindings();
