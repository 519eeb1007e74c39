-- Call control, trip phases, recordings, transcripts and number safety (issue 23). Schema only:
-- the functions and triggers that use these columns live in prisma/sql/ (claim_x() skips locked
-- numbers, place_binding() writes the call control, the routing cache hears restrictions, locks
-- and blacklist changes).

-- ─── a binding's call control, as sent to BindAxb and changed by UpdateSubscription ───────────
-- None of these is indexed: settling and expiring a binding still rewrite only unindexed columns
-- (HOT updates; see 20261206120000_live_pairs_apart). Existing rows hold NULL (or false), which
-- every check accepts: the checks are added NOT VALID, so the table is not scanned under this
-- migration's exclusive lock; they hold for every row written from now on.
ALTER TABLE "bindings"
    -- OutOrderId: the order service's external business id, echoed nowhere else.
    ADD COLUMN "out_order_id" VARCHAR(64),
    -- CallRestrict: the direction that may not call X now (null: both may).
    ADD COLUMN "call_restrict" VARCHAR(24),
    -- CallDisplayType (1: X shown on both phones) and CallTimeout (s, sequential ringing).
    ADD COLUMN "call_display_type" SMALLINT,
    ADD COLUMN "call_timeout" SMALLINT,
    -- RingConfig / DtmfConfig as sent (JSON objects; src/protocol/call-control.ts checks them).
    ADD COLUMN "ring_config" JSONB,
    ADD COLUMN "dtmf_config" JSONB,
    -- ASRStatus / ASRModelId: recorded calls are transcribed.
    ADD COLUMN "asr_status" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "asr_model_id" VARCHAR(64),
    -- Trip phase: the order service ended the trip at trip_ended_at; the passenger may still
    -- reach the driver until contact_until, when the binding is unbound (contact_windows).
    ADD COLUMN "trip_ended_at" TIMESTAMPTZ(3),
    ADD COLUMN "contact_until" TIMESTAMPTZ(3);
ALTER TABLE "bindings"
    ADD CONSTRAINT "bindings_call_restrict_check"
        CHECK ("call_restrict" IN ('CONTROL_AX_DISABLE', 'CONTROL_BX_DISABLE')) NOT VALID,
    ADD CONSTRAINT "bindings_call_display_type_check" CHECK ("call_display_type" = 1) NOT VALID,
    ADD CONSTRAINT "bindings_call_timeout_check" CHECK ("call_timeout" BETWEEN 5 AND 20) NOT VALID,
    ADD CONSTRAINT "bindings_asr_model_check"
        CHECK ("asr_model_id" IS NULL OR "asr_status") NOT VALID,
    ADD CONSTRAINT "bindings_contact_window_check"
        CHECK (("trip_ended_at" IS NULL) = ("contact_until" IS NULL)) NOT VALID;

-- The contact windows still open: one row per binding whose trip ended with a window, due at
-- closes_at, deleted by the statement that asks for its unbind (src/bindings/contact-windows.
-- repository.ts), so each window closes exactly once whichever instance takes it. Small: only
-- open windows; the record keeps contact_until.
CREATE TABLE "contact_windows" (
    "binding_id" UUID NOT NULL,
    "closes_at" TIMESTAMPTZ(3) NOT NULL,
    -- Who ended the trip (the key's name), and the request that did.
    "actor" VARCHAR(64) NOT NULL,
    "request_id" VARCHAR(128),

    CONSTRAINT "contact_windows_pkey" PRIMARY KEY ("binding_id"),
    CONSTRAINT "contact_windows_binding_id_fkey" FOREIGN KEY ("binding_id")
        REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "contact_windows_closes_at_idx" ON "contact_windows"("closes_at");

-- ─── number safety ─────────────────────────────────────────────────────────────────────────────
-- LockSecretNo: a locked X takes no new binding (claim_x() skips it) and routes no call here.
ALTER TABLE "secret_numbers"
    ADD COLUMN "locked_at" TIMESTAMPTZ(3),
    ADD COLUMN "locked_by" VARCHAR(64);

-- What we added to each pool's blacklist at the provider (AddSecretBlacklist). Alibaba has no
-- action that lists a blacklist, so this table is the only list; routing refuses what it blocks.
-- A pool-wide entry (PARTNER_GLOBAL_NUMBER_BLACK) names one number, which may not call the
-- pool's numbers; a point-to-point entry (POINT_TO_POINT_BLACK) names two, blocked in the
-- directions way_control says (null: both ways). `direction` is the API's word for it.
CREATE TABLE "pool_blacklist" (
    "id" BIGSERIAL NOT NULL,
    "pool_key" VARCHAR(64) NOT NULL,
    "black_type" VARCHAR(32) NOT NULL,
    "phone" VARCHAR(20) NOT NULL,
    "peer_phone" VARCHAR(20),
    "way_control" VARCHAR(16),
    "direction" VARCHAR(8) NOT NULL,
    "remark" VARCHAR(128),
    "created_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pool_blacklist_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "pool_blacklist_pool_key_fkey" FOREIGN KEY ("pool_key")
        REFERENCES "pools"("key") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "pool_blacklist_type_check" CHECK (
        ("black_type" = 'PARTNER_GLOBAL_NUMBER_BLACK' AND "peer_phone" IS NULL
            AND "way_control" IS NULL AND "direction" = 'outgoing')
        OR ("black_type" = 'POINT_TO_POINT_BLACK' AND "peer_phone" IS NOT NULL
            AND "peer_phone" <> "phone"
            AND ("way_control" IS NULL OR "way_control" IN ('PHONEA_REJECT', 'PHONEB_REJECT'))
            AND "direction" IN ('outgoing', 'incoming', 'both')))
);
-- One entry per (pool, type, numbers), as the provider names them; routing reads a pool's
-- entries naming either party of a binding.
CREATE UNIQUE INDEX "pool_blacklist_entry_key"
    ON "pool_blacklist"("pool_key", "phone", (coalesce("peer_phone", '')));
CREATE INDEX "pool_blacklist_peer_idx" ON "pool_blacklist"("pool_key", "peer_phone")
    WHERE "peer_phone" IS NOT NULL;

-- ─── recordings and transcripts ────────────────────────────────────────────────────────────────
-- The last QueryRecordFileDownloadUrl link of a recording (valid 2 h), reused until shortly
-- before it expires, so a recording listened to twice is not signed twice.
ALTER TABLE "call_recordings"
    ADD COLUMN "download_url" TEXT,
    ADD COLUMN "download_url_expires_at" TIMESTAMPTZ(3);

-- A call's transcript: from a SecretAsrReport message, or fetched with GetSecretAsrDetail when
-- asked for before the message came. One per call.
CREATE TABLE "call_transcripts" (
    "call_id" VARCHAR(100) NOT NULL,
    "pool_key" VARCHAR(64),
    "secret_no" VARCHAR(32),
    "status_code" VARCHAR(32),
    "biz_duration_ms" INTEGER,
    "sentences" JSONB NOT NULL,
    -- message (SecretAsrReport) or query (GetSecretAsrDetail).
    "source" VARCHAR(8) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "call_transcripts_pkey" PRIMARY KEY ("call_id"),
    CONSTRAINT "call_transcripts_source_check" CHECK ("source" IN ('message', 'query'))
);

-- Reads of a call's recording or transcript are recorded with the call (who, when, which call).
ALTER TABLE "access_log" ADD COLUMN "call_id" VARCHAR(100);

-- The safety team's role: recordings, transcripts, the blacklist and number locks.
ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_roles_check";
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_roles_check" CHECK (
    cardinality("roles") > 0
    AND "roles" <@ ARRAY['order', 'routing', 'admin', 'provider', 'safety']::text[]);
