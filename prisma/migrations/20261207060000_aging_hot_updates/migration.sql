-- Privacy aging as HOT updates (issue 22 item 2: 1M ended bindings aged in under a minute while
-- binds run). Aging rewrote A and B, their hashes and aged_at, and each of those was in an index
-- (phone_a, phone_b, the hashes' partial indexes, and the unaged index's predicate): every aged
-- binding was a new heap tuple and ~8 new index entries. Now a binding's and a call record's
-- keyed hashes are written when the row is made (src/common/privacy/phone-hasher.ts), search by
-- phone goes through the hashes only, and aging changes no indexed column: with the room the
-- month partitions keep (fillfactor 50, history_tables()), an aged row is a HOT update, no
-- index entry written.
--
-- What aging walks instead of an index on aged_at: aging_progress (cursors over the creation
-- order, which aging never changes) and aging_pending (the bindings the cursor passed before
-- they were due, with when they will be). See src/history/phone-aging.repository.ts.

-- Searched through their hashes (bindings_phone_a_hash_idx / _b_): a real number's index
-- entries no longer exist to be rewritten.
DROP INDEX "bindings_phone_a_idx";
DROP INDEX "bindings_phone_b_idx";
DROP INDEX "bindings_unaged_idx";

-- A masked number with no hash (erased, or masked before this version without a secret) holds
-- an empty hash: "no hash", which matches no search and keeps the row out of the index below.
UPDATE "bindings" SET "phone_a_hash" = '\x'::bytea
 WHERE "phone_a_hash" IS NULL AND "phone_a" LIKE '%*%';
UPDATE "bindings" SET "phone_b_hash" = '\x'::bytea
 WHERE "phone_b_hash" IS NULL AND "phone_b" LIKE '%*%';
UPDATE "call_records" SET "phone_no_hash" = '\x'::bytea
 WHERE "phone_no_hash" IS NULL AND "phone_no" LIKE '%*%';
UPDATE "call_records" SET "peer_no_hash" = '\x'::bytea
 WHERE "peer_no_hash" IS NULL AND "peer_no" LIKE '%*%';

-- Bindings with a real number and no hash yet: made before this version, or while the service had
-- no PHONE_HASH_SECRET. Search by phone finds them here (by the number itself, read from the row),
-- and the aging job gives them their hashes, which takes them out (an empty index once it has).
CREATE INDEX "bindings_unhashed_idx" ON "bindings"("created_at" DESC, "id" DESC)
    WHERE "phone_a_hash" IS NULL OR "phone_b_hash" IS NULL;

-- The aging cursors, one per stripe of the bindings (the id's last byte modulo 8: workers and
-- instances walk stripes at once): every binding of the stripe created before (created_at,
-- binding_id) has been looked at (aged, found aged, or put in aging_pending); `walked`: the cutoff
-- the stripe was last walked to the end at. Made by the job when it first runs.
CREATE TABLE "aging_progress" (
    "id" SMALLINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "binding_id" UUID NOT NULL,
    "walked" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "aging_progress_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "aging_progress_stripe_check" CHECK ("id" BETWEEN 0 AND 7)
);

-- Bindings a cursor passed while they were not due yet (live, or ended less than
-- PHONE_MASK_AFTER_DAYS before), and when to look at them again: once the cutoff passes due_at
-- (their end; while live, the cutoff they were last looked at with).
CREATE TABLE "aging_pending" (
    "binding_id" UUID NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "aging_pending_pkey" PRIMARY KEY ("binding_id")
);
CREATE INDEX "aging_pending_due_at_idx" ON "aging_pending"("due_at");

-- Room for aging's HOT updates of call records as for bindings' (history_tables(): the months
-- made from now on). A partition made before keeps its rows where they are: the room applies to
-- what is written into it from now on.
DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'call_records'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 50)', p);
    END LOOP;
END $$;
