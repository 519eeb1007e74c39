-- Scheduler: the bindings awaiting reconciliation (src/scheduler/reconciliation.repository.ts).
--
-- reconcile_queue holds a binding while its provider side is open (pending, unknown, unbinding),
-- and after it ended by expiry while open, until reconciliation has checked the provider side.
-- It follows the record's state through the record's trigger (bindings_changed(),
-- 030_binding_record.sql), whoever changes it (the bind path's placements and settles and the
-- expire operation do the same for their own rows themselves, 050_bind_path.sql):
--   becomes open, or moves between open states   → (re)queued: `since` = the change, no attempts;
--   leaves an open state by expiry               → kept, due at once: the provider check;
--   leaves an open state otherwise (settled)     → dequeued.
-- Reconciliation itself dequeues a binding when it settles it (expire_bindings() when told the
-- provider was just asked), and counts failed attempts and leases in `attempts` / `next_at`.

DROP FUNCTION IF EXISTS reconcile_queue_follow_bindings() CASCADE;

-- (Re)queues bindings that became open, moved between open states, or expired while open: since
-- their change (the record's updated_at), no attempts yet, due as the grace period allows.
DROP FUNCTION IF EXISTS reconcile_queue_enqueue(uuid[]);
-- (plpgsql: its plan is kept per connection; a SQL function's would be made on every call.)
CREATE OR REPLACE FUNCTION reconcile_queue_enqueue(p_rows bindings[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reconcile_queue (binding_id, since)
    SELECT (r).id, (r).updated_at FROM unnest(p_rows) r
    ON CONFLICT (binding_id) DO UPDATE SET since = excluded.since, attempts = 0, next_at = NULL;
END $$;

-- Dequeues bindings whose open provider side was settled.
-- (The keys as the index condition, sequential scans off: a probe of the keys whatever the
-- statistics said when the connection planned it, as live_pairs_end(), 020_live_pairs.sql.)
CREATE OR REPLACE FUNCTION reconcile_queue_settle(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    DELETE FROM reconcile_queue WHERE binding_id = ANY (p_ids);
END $$;
