-- Webhook delivery cost (issue 24 item 5, bind rate with 3 endpoints). A delivery is inserted by
-- the dispatcher and updated once by its try's record, which changes no indexed column: HOT when
-- the new version fits on its page. At fillfactor 80 a page filled by one dispatch pass had room
-- for a fifth of its rows' new versions, so four updates in five wrote new entries in the
-- table's three indexes (18,000 rows as a pass writes them, 300 a statement: 22 % HOT; one
-- update cost about what the insert did). Half of each page is kept for them now: every row
-- updated once nearly always fits (87 % HOT: the record makes a row a little longer), the
-- update's cost halved (the same 18,000 rows: 900 → 424 ms, load 9).
-- The table is ~twice the size on disk for its retention (WEBHOOK_RETENTION_DAYS); existing pages
-- get the room as they are rewritten.
ALTER TABLE "webhook_deliveries" SET (fillfactor = 50);

-- A try that succeeds is recorded on its delivery's row (its answer and duration beside
-- last_status_code and completed_at), not in a webhook_attempts row of its own: most deliveries
-- succeed at their first try, and that row (an insert with a foreign-key check and two index
-- entries) was a third of what writing a delivery cost. webhook_attempts keeps every failed
-- try; the deliveries API shows the successful one from here, newest first as before.
ALTER TABLE "webhook_deliveries"
    ADD COLUMN "last_response" VARCHAR(500),
    ADD COLUMN "last_duration_ms" INTEGER;
