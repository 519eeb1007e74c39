-- Scheduler: the expiry sweep takes the live bindings whose expiry has passed, oldest first, in
-- batches; a partial index over live rows only keeps that scan small however much history the
-- table holds (ended bindings never enter it).
CREATE INDEX "bindings_live_expires_at_idx" ON "bindings"("expires_at")
    WHERE "state" IN ('pending', 'active', 'unknown');

-- Reconciliation looks for bindings left pending or unknown for longer than a grace period;
-- there are few of them, so a partial index finds them without touching the rest.
CREATE INDEX "bindings_unsettled_updated_at_idx" ON "bindings"("updated_at")
    WHERE "state" IN ('pending', 'unknown');
