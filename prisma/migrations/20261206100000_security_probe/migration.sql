-- Issue 27 (findings of a security probe): plain schema changes, no functions.

-- Where the report that set a number's health came from: 'queue' (an MNS message: its origin is
-- proven, see README "Provider reports") or 'push' (an HTTP push, whose origin cannot be proven).
-- Routing gives out a real number on X's health only when the report came from the queue.
-- Reports stored before this migration have no known origin (NULL): treated as unproven until
-- the next report of that number.
ALTER TABLE "secret_numbers" ADD COLUMN "health_source" VARCHAR(8);
ALTER TABLE "secret_numbers" ADD CONSTRAINT "secret_numbers_health_source_check"
    CHECK ("health_source" IN ('queue', 'push'));

-- A search by a phone number is recorded like a reveal, found bindings or not: what was searched
-- (the number masked, never in clear: `{"phone": "138****5678", "view": "masked"}`).
ALTER TABLE "access_log" ADD COLUMN "search" JSONB;
