-- The record partitioned by month (issue 22): bindings, binding_events, routed_counts,
-- binding_subscriptions, call_records and call_progress become range-partitioned parents.
--
-- The partition key of every one of them is the binding id: new ids carry their creation time
-- (UUIDv7, binding_id_at() in prisma/sql/090_history_partitions.sql), a month is the id range of
-- that month, and the same bounds cut every table, so dropping a month drops its bindings with
-- their events, counters, SubsIds, calls and progress, and `WHERE id = $1` (every hot path)
-- prunes to one partition. See README "History: month partitions, retention, privacy aging".
--
-- The tables as they were become the DEFAULT partitions: nothing is copied, and the v4 ids of
-- bindings made before this version (random, so no range can hold them) stay there until the
-- retention job deletes them by age. A write whose month has no partition yet lands there too
-- instead of failing; the partition job moves such rows out when it creates their month.
--
-- Foreign keys into bindings go: detaching a partition of a referenced table runs a check join
-- per referencing table, far over the second a month's drop may take. The statement-level
-- trigger on bindings deletes what followed a deleted binding (030_binding_record.sql).
ALTER TABLE "live_pairs" DROP CONSTRAINT "live_pairs_binding_id_fkey";
ALTER TABLE "reconcile_queue" DROP CONSTRAINT "reconcile_queue_binding_id_fkey";
ALTER TABLE "contact_windows" DROP CONSTRAINT "contact_windows_binding_id_fkey";
ALTER TABLE "binding_subscriptions" DROP CONSTRAINT "binding_subscriptions_binding_id_fkey";
ALTER TABLE "routed_counts" DROP CONSTRAINT "routed_counts_binding_id_fkey";
ALTER TABLE "call_records" DROP CONSTRAINT "call_records_binding_id_fkey";
ALTER TABLE "call_progress" DROP CONSTRAINT "call_progress_binding_id_fkey";

-- The triggers are defined on the parents by prisma/sql (applied after every migration: a fresh
-- database has none yet).
DROP TRIGGER IF EXISTS "bindings_deleted_events" ON "bindings";
DROP TRIGGER IF EXISTS "bindings_record_inserted" ON "bindings";
DROP TRIGGER IF EXISTS "bindings_record_updated" ON "bindings";
DROP TRIGGER IF EXISTS "bindings_routing_cache_delete" ON "bindings";
DROP TRIGGER IF EXISTS "bindings_routing_cache_truncate" ON "bindings";
DROP TRIGGER IF EXISTS "binding_events_binding_inserted" ON "binding_events";
DROP TRIGGER IF EXISTS "binding_events_binding_updated" ON "binding_events";

-- Privacy aging and erasure (issue 22 items 2 and 3): the real numbers are replaced by their
-- masked form, and a keyed hash (HMAC-SHA256, PHONE_HASH_SECRET) is kept so that a search by the
-- full number still finds the record; an erasure clears the hash too. aged_at: when the numbers
-- were replaced (by aging or erasure); erased_at: when an erasure asked for it.
ALTER TABLE "bindings"
    ADD COLUMN "phone_a_hash" BYTEA,
    ADD COLUMN "phone_b_hash" BYTEA,
    ADD COLUMN "aged_at" TIMESTAMPTZ(3),
    ADD COLUMN "erased_at" TIMESTAMPTZ(3);
ALTER TABLE "call_records"
    ADD COLUMN "phone_no_hash" BYTEA,
    ADD COLUMN "peer_no_hash" BYTEA,
    ADD COLUMN "aged_at" TIMESTAMPTZ(3),
    ADD COLUMN "erased_at" TIMESTAMPTZ(3);

-- The old constraints that were added NOT VALID (older rows unchecked) are validated here: a
-- partitioned parent's constraint must be valid on every partition it is attached to.
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_asr_model_check";
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_call_display_type_check";
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_call_restrict_check";
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_call_timeout_check";
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_contact_window_check";
ALTER TABLE "bindings" VALIDATE CONSTRAINT "bindings_live_x_check";

-- ─── bindings ────────────────────────────────────────────────────────────────────────────────
ALTER TABLE "bindings" RENAME TO "bindings_default";
ALTER TABLE "bindings_default" RENAME CONSTRAINT "bindings_pkey" TO "bindings_default_pkey";
ALTER INDEX "bindings_created_at_id_idx" RENAME TO "bindings_default_created_at_id_idx";
ALTER INDEX "bindings_out_id_idx" RENAME TO "bindings_default_out_id_idx";
ALTER INDEX "bindings_phone_a_idx" RENAME TO "bindings_default_phone_a_idx";
ALTER INDEX "bindings_phone_b_idx" RENAME TO "bindings_default_phone_b_idx";
ALTER INDEX "bindings_phone_x_idx" RENAME TO "bindings_default_phone_x_idx";

CREATE TABLE "bindings" (LIKE "bindings_default" INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                         INCLUDING COMMENTS) PARTITION BY RANGE ("id");
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_pkey" PRIMARY KEY ("id");
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_pool_key_fkey" FOREIGN KEY ("pool_key")
    REFERENCES "pools"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "bindings_created_at_id_idx" ON "bindings"("created_at" DESC, "id" DESC);
CREATE INDEX "bindings_out_id_idx" ON "bindings"("out_id");
CREATE INDEX "bindings_phone_a_idx" ON "bindings"("phone_a");
CREATE INDEX "bindings_phone_b_idx" ON "bindings"("phone_b");
CREATE INDEX "bindings_phone_x_idx" ON "bindings"("phone_x");
-- An aged number is found by its hash only (the column holds its masked form).
CREATE INDEX "bindings_phone_a_hash_idx" ON "bindings"("phone_a_hash") WHERE "phone_a_hash" IS NOT NULL;
CREATE INDEX "bindings_phone_b_hash_idx" ON "bindings"("phone_b_hash") WHERE "phone_b_hash" IS NOT NULL;
-- What the aging job walks: the bindings whose numbers are still real, oldest first. Neither
-- column changes when a binding settles or ends, so those updates stay HOT.
CREATE INDEX "bindings_unaged_idx" ON "bindings"("created_at") WHERE "aged_at" IS NULL;
ALTER TABLE "bindings" ATTACH PARTITION "bindings_default" DEFAULT;

-- ─── binding_events ──────────────────────────────────────────────────────────────────────────
ALTER TABLE "binding_events" RENAME TO "binding_events_default";
ALTER TABLE "binding_events_default" RENAME CONSTRAINT "binding_events_pkey" TO "binding_events_default_pkey";
CREATE TABLE "binding_events" (LIKE "binding_events_default" INCLUDING DEFAULTS
                               INCLUDING CONSTRAINTS INCLUDING COMMENTS)
    PARTITION BY RANGE ("binding_id");
ALTER TABLE "binding_events" ADD CONSTRAINT "binding_events_pkey" PRIMARY KEY ("binding_id", "at", "id");
ALTER TABLE "binding_events" ATTACH PARTITION "binding_events_default" DEFAULT;
ALTER SEQUENCE "binding_events_id_seq" OWNED BY "binding_events"."id";

-- ─── routed_counts ───────────────────────────────────────────────────────────────────────────
ALTER TABLE "routed_counts" RENAME TO "routed_counts_default";
ALTER TABLE "routed_counts_default" RENAME CONSTRAINT "routed_counts_pkey" TO "routed_counts_default_pkey";
CREATE TABLE "routed_counts" (LIKE "routed_counts_default" INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                              INCLUDING COMMENTS)
    PARTITION BY RANGE ("binding_id");
ALTER TABLE "routed_counts" ADD CONSTRAINT "routed_counts_pkey" PRIMARY KEY ("binding_id", "caller", "outcome");
ALTER TABLE "routed_counts" ATTACH PARTITION "routed_counts_default" DEFAULT;

-- ─── binding_subscriptions ───────────────────────────────────────────────────────────────────
ALTER TABLE "binding_subscriptions" RENAME TO "binding_subscriptions_default";
ALTER TABLE "binding_subscriptions_default" RENAME CONSTRAINT "binding_subscriptions_pkey" TO "binding_subscriptions_default_pkey";
CREATE TABLE "binding_subscriptions" (LIKE "binding_subscriptions_default" INCLUDING DEFAULTS)
    PARTITION BY RANGE ("binding_id");
ALTER TABLE "binding_subscriptions" ADD CONSTRAINT "binding_subscriptions_pkey" PRIMARY KEY ("subs_id", "binding_id");
ALTER TABLE "binding_subscriptions" ATTACH PARTITION "binding_subscriptions_default" DEFAULT;

-- ─── call_records ────────────────────────────────────────────────────────────────────────────
-- A record the provider sent for no binding we know has a NULL binding_id and lives in the
-- default partition; a primary key cannot hold a NULL column, so the keys are unique indexes
-- with NULLS NOT DISTINCT (Postgres 15+): one record per call_id and binding, unlinked included.
ALTER TABLE "call_records" RENAME TO "call_records_default";
ALTER TABLE "call_records_default" DROP CONSTRAINT "call_records_pkey";
ALTER INDEX "call_records_call_id_key" RENAME TO "call_records_default_call_id_key";
ALTER INDEX "call_records_binding_id_call_time_idx" RENAME TO "call_records_default_binding_id_call_time_idx";
CREATE TABLE "call_records" (LIKE "call_records_default" INCLUDING DEFAULTS INCLUDING COMMENTS)
    PARTITION BY RANGE ("binding_id");
CREATE UNIQUE INDEX "call_records_id_key" ON "call_records"("id", "binding_id") NULLS NOT DISTINCT;
CREATE UNIQUE INDEX "call_records_call_id_binding_key" ON "call_records"("call_id", "binding_id") NULLS NOT DISTINCT;
CREATE INDEX "call_records_call_id_idx" ON "call_records"("call_id");
CREATE INDEX "call_records_binding_id_call_time_idx" ON "call_records"("binding_id", "call_time");
CREATE INDEX "call_records_phone_no_hash_idx" ON "call_records"("phone_no_hash") WHERE "phone_no_hash" IS NOT NULL;
CREATE INDEX "call_records_peer_no_hash_idx" ON "call_records"("peer_no_hash") WHERE "peer_no_hash" IS NOT NULL;
-- Unlinked records are aged and deleted by their own age (a linked one goes with its binding).
CREATE INDEX "call_records_unlinked_received_at_idx" ON "call_records"("received_at")
    WHERE "binding_id" IS NULL;
ALTER TABLE "call_records" ATTACH PARTITION "call_records_default" DEFAULT;
DROP INDEX "call_records_default_call_id_key";
ALTER SEQUENCE "call_records_id_seq" OWNED BY "call_records"."id";

-- ─── call_progress ───────────────────────────────────────────────────────────────────────────
ALTER TABLE "call_progress" RENAME TO "call_progress_default";
ALTER TABLE "call_progress_default" DROP CONSTRAINT "call_progress_pkey";
ALTER INDEX "call_progress_call_id_stage_key" RENAME TO "call_progress_default_call_id_stage_key";
CREATE TABLE "call_progress" (LIKE "call_progress_default" INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                              INCLUDING COMMENTS)
    PARTITION BY RANGE ("binding_id");
CREATE UNIQUE INDEX "call_progress_id_key" ON "call_progress"("id", "binding_id") NULLS NOT DISTINCT;
CREATE UNIQUE INDEX "call_progress_call_id_stage_key" ON "call_progress"("call_id", "stage", "binding_id") NULLS NOT DISTINCT;
ALTER TABLE "call_progress" ATTACH PARTITION "call_progress_default" DEFAULT;
DROP INDEX "call_progress_default_call_id_stage_key";
ALTER SEQUENCE "call_progress_id_seq" OWNED BY "call_progress"."id";

-- Partitions made and dropped by the history job, with what became of them (README).
CREATE TABLE "history_partitions" (
    "name" VARCHAR(63) NOT NULL,
    "parent" VARCHAR(63) NOT NULL,
    "month" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "dropped_at" TIMESTAMPTZ(3),
    CONSTRAINT "history_partitions_pkey" PRIMARY KEY ("name")
);
