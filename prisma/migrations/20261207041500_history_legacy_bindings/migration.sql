-- Bindings made before the record was partitioned (random v4 ids) that a month partition holds
-- (issue 22). Such an id's first 48 bits are random, not a time: about 1 in 10^5 of them falls
-- in a given month's id range, and making that month must move it out of the DEFAULT partition
-- (Postgres refuses to attach a range the default still holds rows of). Its month is then not
-- its time: retention decides by the row's own times (created and ended), never by the month it
-- sits in. history_partition_create() (prisma/sql/090_history_partitions.sql) records each one it
-- moves here; the history job deletes them by age and keeps a month that still holds one not
-- past retention. Few rows: ~10 a month per million old bindings.
CREATE TABLE "history_legacy_bindings" (
    "binding_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "moved_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "history_legacy_bindings_pkey" PRIMARY KEY ("binding_id")
);

-- The ones moved before this table existed: non-v7 ids in a month partition (one scan of them).
INSERT INTO "history_legacy_bindings" ("binding_id", "month", "moved_at")
SELECT b."id", to_date(right(b."tableoid"::regclass::text, 7), 'YYYY_MM'), now()
  FROM "bindings" b
 WHERE b."tableoid" <> 'bindings_default'::regclass
   AND substr(b."id"::text, 15, 1) <> '7';
