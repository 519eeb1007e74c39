-- Data model v2 (issue 21): the live state apart from the permanent record.
--
-- `bindings` was both the live state machine and the history: twelve indexes, with `state` in the
-- predicates of the live partial ones, so no update of a binding was ever HOT and every settle
-- and every expiry rewrote every index entry of the row. Now:
--
--   live_pairs       (inventory) one row per live binding: its order, X, A, B and expiry. Its
--                    unique indexes carry invariants 1 and 2; counting its rows on X is X's load.
--                    Rows are inserted when a binding becomes live and deleted when it ends,
--                    never updated on a hot path. Kept by a trigger on `bindings`
--                    (prisma/sql/020_live_pairs.sql), so no writer of a binding can bypass it.
--   reconcile_queue  (scheduler) the bindings awaiting reconciliation: an open provider side
--                    (pending, unknown, unbinding), or ended while open and still to be checked
--                    there. Small; replaces the partial index whose predicate named `state`.
--   binding_subscriptions  the provider's SubsId of each binding, written once when it is
--                    learnt (provider reports name bindings by it); replaces the index on
--                    bindings.subs_id, a column that settling writes.
--   routed_counts    routing decisions counted per binding, caller and outcome (issue 21.3),
--                    instead of one `routed` event row per lookup.
--
-- `bindings` is the record: indexed only on what never changes while a binding lives on a hot
-- path (order, parties, X, creation time); settling and expiring rewrite only unindexed columns
-- (state, subs_id, ended_at, updated_at), so those updates are HOT (fillfactor leaves room).
-- Functions and triggers are repeatable definitions under prisma/sql/, applied by the migration
-- runner after the migrations whenever one of them changes: this migration holds only the
-- schema and the data move.

CREATE TABLE "live_pairs" (
    "binding_id" UUID NOT NULL,
    "pool_key" VARCHAR(64) NOT NULL,
    "out_id" VARCHAR(64) NOT NULL,
    "x" VARCHAR(20) NOT NULL,
    "a" VARCHAR(20) NOT NULL,
    "b" VARCHAR(20) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "live_pairs_pkey" PRIMARY KEY ("binding_id"),
    CONSTRAINT "live_pairs_binding_id_fkey" FOREIGN KEY ("binding_id")
        REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE
) WITH (fillfactor = 90);
-- Invariant 1: at most one live binding per (pool, outId).
CREATE UNIQUE INDEX "live_pairs_order_key" ON "live_pairs"("pool_key", "out_id");
-- Invariant 2: never two live bindings on one X sharing A, or sharing B. The (x, …) prefix also
-- serves X's load and the party checks of a claim.
CREATE UNIQUE INDEX "live_pairs_x_a_key" ON "live_pairs"("x", "a");
CREATE UNIQUE INDEX "live_pairs_x_b_key" ON "live_pairs"("x", "b");
-- The expiry sweep, oldest first.
CREATE INDEX "live_pairs_expires_at_idx" ON "live_pairs"("expires_at");

CREATE TABLE "reconcile_queue" (
    "binding_id" UUID NOT NULL,
    -- When the binding entered the state it waits in (the grace period counts from here).
    "since" TIMESTAMPTZ(3) NOT NULL,
    -- Failed attempts since then, and the earliest next one (a backoff or a run's lease).
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconcile_queue_pkey" PRIMARY KEY ("binding_id"),
    CONSTRAINT "reconcile_queue_binding_id_fkey" FOREIGN KEY ("binding_id")
        REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE
) WITH (fillfactor = 80);
CREATE INDEX "reconcile_queue_since_idx" ON "reconcile_queue"("since");

CREATE TABLE "binding_subscriptions" (
    "subs_id" VARCHAR(64) NOT NULL,
    "binding_id" UUID NOT NULL,
    "learnt_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "binding_subscriptions_pkey" PRIMARY KEY ("subs_id", "binding_id"),
    CONSTRAINT "binding_subscriptions_binding_id_fkey" FOREIGN KEY ("binding_id")
        REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "routed_counts" (
    "binding_id" UUID NOT NULL,
    -- A, B, or `other` (a caller who is neither: refused).
    "caller" VARCHAR(8) NOT NULL,
    -- `<status>/<source>/<reason>` of an answer, `refused/<reason>` of a refusal.
    "outcome" VARCHAR(96) NOT NULL,
    "count" BIGINT NOT NULL,
    "first_at" TIMESTAMPTZ(3) NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "routed_counts_pkey" PRIMARY KEY ("binding_id", "caller", "outcome"),
    CONSTRAINT "routed_counts_caller_check" CHECK ("caller" IN ('A', 'B', 'other')),
    CONSTRAINT "routed_counts_binding_id_fkey" FOREIGN KEY ("binding_id")
        REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE
) WITH (fillfactor = 70);

-- The batches of routed_counts written so far, by the id their writer gave them: a batch whose
-- write timed out on the client may still have committed (a frozen server that continues), and
-- its retry, under the same id, then adds nothing. Pruned by the writer after a day.
CREATE TABLE "routed_count_batches" (
    "id" UUID NOT NULL,
    "written_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "routed_count_batches_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "routed_count_batches_written_at_idx" ON "routed_count_batches"("written_at");

-- ─── the data move: every binding, event and call record stays; live ones stay live ─────────────
INSERT INTO "live_pairs" ("binding_id", "pool_key", "out_id", "x", "a", "b", "expires_at")
SELECT "id", "pool_key", "out_id", "phone_x", "phone_a", "phone_b", "expires_at"
  FROM "bindings"
 WHERE "state" IN ('pending', 'active', 'unknown', 'unbinding') AND "phone_x" IS NOT NULL;
-- (A live binding without X predates X always being ours, and holds no pair anyone could
-- collide with; reconciliation, below, settles it.)

INSERT INTO "reconcile_queue" ("binding_id", "since", "attempts", "next_at")
SELECT "id", "updated_at", "reconcile_attempts", "reconcile_after"
  FROM "bindings"
 WHERE "state" IN ('pending', 'unknown', 'unbinding') OR "reconcile_after" IS NOT NULL;

INSERT INTO "binding_subscriptions" ("subs_id", "binding_id", "learnt_at")
SELECT "subs_id", "id", "updated_at" FROM "bindings" WHERE "subs_id" IS NOT NULL;

-- Decisions recorded as `routed` events so far, counted (the events themselves stay).
INSERT INTO "routed_counts" ("binding_id", "caller", "outcome", "count", "first_at", "last_at")
SELECT e."binding_id",
       CASE WHEN e."details" ->> 'refused' = 'true' THEN 'other'
            ELSE coalesce(e."details" ->> 'caller', 'other') END,
       left(CASE WHEN e."details" ->> 'refused' = 'true'
                 THEN 'refused/' || coalesce(e."details" ->> 'reason', '')
                 ELSE concat_ws('/', e."details" ->> 'status', e."details" ->> 'source',
                                coalesce(e."details" ->> 'reason', '')) END, 96),
       count(*), min(e."at"), max(e."at")
  FROM "binding_events" e
 WHERE e."kind" = 'routed'
 GROUP BY 1, 2, 3;

-- ─── the record loses what made its updates expensive ──────────────────────────────────────────
DROP INDEX "bindings_live_out_id_key";
DROP INDEX "bindings_live_x_a_key";
DROP INDEX "bindings_live_x_b_key";
DROP INDEX "bindings_live_expires_at_idx";
DROP INDEX "bindings_reconcile_idx";
DROP INDEX "bindings_subs_id_idx";
ALTER TABLE "bindings" DROP COLUMN "reconcile_attempts", DROP COLUMN "reconcile_after";
-- Room on each page for the new versions of settling and expiring (HOT updates). A binding is
-- updated two or three times in its life, and the bindings of a page were made together and end
-- together: the sweep rewrites every row of a page in one statement, when the space of the
-- versions it replaces cannot be reused yet, so a page keeps half of itself for them.
ALTER TABLE "bindings" SET (fillfactor = 50);
ALTER TABLE "x_load_hints" SET (fillfactor = 70);

-- An event is found by its binding (the timeline, in time order): one index, its primary key,
-- instead of a key on the id alone plus an index on (binding_id, at). Every event written costs
-- one index entry less (a sweep writes thousands at once).
ALTER TABLE "binding_events" DROP CONSTRAINT "binding_events_pkey";
DROP INDEX "binding_events_binding_id_at_idx";
ALTER TABLE "binding_events"
    ADD CONSTRAINT "binding_events_pkey" PRIMARY KEY ("binding_id", "at", "id");

-- The functions of the old shape go; prisma/sql/ defines the new ones (the migration runner
-- applies those after this migration).
DROP FUNCTION IF EXISTS "place_binding"(text, boolean, timestamptz, text, jsonb, timestamptz, text,
                                        text, text, text, boolean, text, text[], integer);
DROP FUNCTION IF EXISTS "move_binding"(uuid, text, jsonb, timestamptz, text, text, text, text,
                                       boolean, text, text[], integer);
DROP FUNCTION IF EXISTS "take_x"(text, timestamptz, text, text, text, text, boolean, text, text[],
                                 integer);
DROP FUNCTION IF EXISTS "claim_x"(text, text, text, text, boolean, text, text[], integer,
                                  timestamptz);
DROP FUNCTION IF EXISTS "expire_bindings"(uuid[], integer, timestamptz, text, jsonb, boolean,
                                          boolean);
DROP FUNCTION IF EXISTS "x_live_pairs"(text, timestamptz);
DROP FUNCTION IF EXISTS "x_carries_party"(text, text, text, timestamptz);
DROP FUNCTION IF EXISTS "x_loads"(text[], timestamptz);
DROP FUNCTION IF EXISTS "binding_live_at"(binding_state, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS "binding_overdue_at"(binding_state, timestamptz, timestamptz);
DROP TYPE IF EXISTS "binding_placement";
DROP TYPE IF EXISTS "x_claim";
