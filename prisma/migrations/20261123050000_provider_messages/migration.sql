-- Provider messages as Alibaba sends them today: every documented SecretReport field, recordings
-- and call progress from the message queues (MNS), and a dead-letter table for what cannot be
-- stored. Hand-written; prisma/schema.prisma describes the same columns.

-- Call ids are up to 100 characters (Alibaba's documentation).
ALTER TABLE "call_records" ALTER COLUMN "call_id" TYPE VARCHAR(100);

-- The rest of SecretReport. call_type 4 means the platform intercepted the call (control_type
-- and control_msg say why); the times follow the call: call_time (A dialled), call_out_time (the
-- platform dialled B), ring_time / free_ring_time (B rang), start_time (answered), release_time.
ALTER TABLE "call_records"
    ADD COLUMN "report_id" VARCHAR(32),
    ADD COLUMN "partner_key" VARCHAR(64),
    ADD COLUMN "called_display_no" VARCHAR(20),
    ADD COLUMN "city" VARCHAR(32),
    ADD COLUMN "call_out_time" TIMESTAMPTZ(3),
    ADD COLUMN "ring_time" TIMESTAMPTZ(3),
    ADD COLUMN "free_ring_time" TIMESTAMPTZ(3),
    ADD COLUMN "unconnected_cause" INTEGER,
    ADD COLUMN "sms_number" INTEGER,
    ADD COLUMN "control_type" VARCHAR(32),
    ADD COLUMN "control_msg" VARCHAR(256),
    ADD COLUMN "ring_record_url" TEXT,
    -- Set when a SecretRecording message said the recording can be fetched.
    ADD COLUMN "recording_ready_at" TIMESTAMPTZ(3);

-- SecretRecording messages, kept whether their call record arrived before or after them (the
-- queues are independent); the call record's recording_ready_at is filled from here either way.
CREATE TABLE "call_recordings" (
    "call_id" VARCHAR(100) NOT NULL,
    "sub_id" VARCHAR(64),
    "pool_key" VARCHAR(64),
    "out_id" VARCHAR(64),
    "call_time" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "call_recordings_pkey" PRIMARY KEY ("call_id")
);

-- Call progress (SecretStartReport, SecretRingReport, SecretPickUpReport): one row per call and
-- stage however often a message is delivered; a new row also writes a `call_progress` binding
-- event.
CREATE TABLE "call_progress" (
    "id" BIGSERIAL NOT NULL,
    "call_id" VARCHAR(100) NOT NULL,
    "stage" VARCHAR(16) NOT NULL,
    "binding_id" UUID,
    "sub_id" VARCHAR(64),
    "at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "call_progress_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "call_progress_stage_check" CHECK ("stage" IN ('started', 'ringing', 'answered'))
);
CREATE UNIQUE INDEX "call_progress_call_id_stage_key" ON "call_progress"("call_id", "stage");
ALTER TABLE "call_progress" ADD CONSTRAINT "call_progress_binding_id_fkey" FOREIGN KEY ("binding_id") REFERENCES "bindings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Provider records that could not be stored (malformed, or a queue message that kept failing):
-- the reason, and the record as JSON text with phone numbers masked (TEXT, not JSONB: the record
-- may hold what JSONB refuses, such as NUL). A queue message is dead-lettered once per
-- MessageId, however many instances saw it fail.
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    -- 'push' (HTTP callback) or 'queue' (MNS message).
    "source" VARCHAR(8) NOT NULL,
    "message_type" VARCHAR(40) NOT NULL,
    "message_id" VARCHAR(64),
    "reason" VARCHAR(500) NOT NULL,
    "payload" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dead_letters_source_check" CHECK ("source" IN ('push', 'queue'))
);
CREATE UNIQUE INDEX "dead_letters_message_id_key" ON "dead_letters"("message_type", "message_id")
    WHERE "message_id" IS NOT NULL;
CREATE INDEX "dead_letters_received_at_idx" ON "dead_letters"("received_at");
