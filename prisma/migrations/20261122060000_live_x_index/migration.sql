-- Choosing X counts the live pairs on each candidate number and looks for its live bindings
-- that share A or B; both walk only live rows, so index just those.
CREATE INDEX "bindings_live_x_idx" ON "bindings"("phone_x")
    WHERE "state" IN ('pending', 'active', 'unknown');
