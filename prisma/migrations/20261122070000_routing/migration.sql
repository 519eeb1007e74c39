-- Call routing: the provider's call records (SecretReport pushes), linked to their binding.
-- The provider retries a push it considers undelivered and may deliver a record twice, so the
-- record's call_id is unique here and the receiver inserts with ON CONFLICT DO NOTHING.

-- CreateTable
CREATE TABLE "call_records" (
    "id" BIGSERIAL NOT NULL,
    "call_id" VARCHAR(64) NOT NULL,
    -- Null when no binding of ours matches sub_id or out_id (a record for a binding made elsewhere).
    "binding_id" UUID,
    "sub_id" VARCHAR(64),
    "out_id" VARCHAR(64),
    "pool_key" VARCHAR(64),
    -- phone_no is A and peer_no B of the binding, as the provider reports them.
    "phone_no" VARCHAR(20),
    "peer_no" VARCHAR(20),
    "secret_no" VARCHAR(20),
    -- 0: A called B; 1: B called A; other values as the provider defines them.
    "call_type" SMALLINT,
    "call_time" TIMESTAMPTZ(3),
    "start_time" TIMESTAMPTZ(3),
    "release_time" TIMESTAMPTZ(3),
    "release_dir" SMALLINT,
    -- Q.850 cause code.
    "release_cause" INTEGER,
    "record_url" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- The record as pushed, for fields not modelled above.
    "raw" JSONB NOT NULL,

    CONSTRAINT "call_records_pkey" PRIMARY KEY ("id")
);

-- A record is stored once however often it is delivered.
CREATE UNIQUE INDEX "call_records_call_id_key" ON "call_records"("call_id");

-- A binding's calls, in call order (the binding view and the admin search).
CREATE INDEX "call_records_binding_id_call_time_idx" ON "call_records"("binding_id", "call_time");

-- Call records name their binding by the provider's SubsId.
CREATE INDEX "bindings_subs_id_idx" ON "bindings"("subs_id");

-- AddForeignKey
ALTER TABLE "call_records" ADD CONSTRAINT "call_records_binding_id_fkey" FOREIGN KEY ("binding_id") REFERENCES "bindings"("id") ON DELETE SET NULL ON UPDATE CASCADE;
