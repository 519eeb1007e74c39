-- API keys and the record of who read full phone numbers.
-- Keys are stored as sha256 of their secret part (the keys are 256-bit random values, so a fast
-- hash is enough; nothing here can recover a key). `prefix` finds the row without scanning.

CREATE TABLE "api_keys" (
    "id" BIGSERIAL NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "secret_hash" CHAR(64) NOT NULL,
    "roles" TEXT[] NOT NULL,
    "source" VARCHAR(16) NOT NULL DEFAULT 'cli',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_keys_roles_check" CHECK (
        cardinality("roles") > 0 AND "roles" <@ ARRAY['order', 'routing', 'admin', 'provider']::text[]),
    CONSTRAINT "api_keys_source_check" CHECK ("source" IN ('cli', 'config'))
);

CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");
-- One live key per name.
CREATE UNIQUE INDEX "api_keys_live_name_key" ON "api_keys"("name") WHERE "revoked_at" IS NULL;

-- Every admin read of bindings' full numbers: who, when, which bindings, through which route.
CREATE TABLE "access_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "route" VARCHAR(128) NOT NULL,
    "binding_ids" UUID[] NOT NULL,
    "request_id" VARCHAR(128) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_log_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "access_log_at_idx" ON "access_log"("at");
CREATE INDEX "access_log_binding_ids_idx" ON "access_log" USING GIN ("binding_ids");
