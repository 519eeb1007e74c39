-- Initial schema: pools, their numbers (X), bindings and binding events.
-- Written by hand in Prisma Migrate's layout: the partial unique indexes below carry
-- invariants 1 and 2 of DESIGN.md and cannot be expressed in schema.prisma.

-- CreateEnum
CREATE TYPE "number_state" AS ENUM ('active', 'released');

-- CreateEnum
CREATE TYPE "number_health" AS ENUM ('normal', 'abnormal');

-- CreateEnum
CREATE TYPE "binding_state" AS ENUM ('pending', 'active', 'unknown', 'unbound', 'expired', 'failed');

-- CreateTable
CREATE TABLE "pools" (
    "key" VARCHAR(64) NOT NULL,
    "city_strict" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pools_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "secret_numbers" (
    "id" BIGSERIAL NOT NULL,
    "pool_key" VARCHAR(64) NOT NULL,
    "number" VARCHAR(20) NOT NULL,
    "spec" SMALLINT NOT NULL,
    "city" VARCHAR(32) NOT NULL,
    "state" "number_state" NOT NULL DEFAULT 'active',
    "health" "number_health" NOT NULL DEFAULT 'normal',
    "health_at" TIMESTAMPTZ(3),
    "bought_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "secret_numbers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "secret_numbers_spec_check" CHECK ("spec" IN (1, 2, 3)),
    CONSTRAINT "secret_numbers_released_check" CHECK (("state" = 'released') = ("released_at" IS NOT NULL))
);

-- CreateTable
CREATE TABLE "bindings" (
    "id" UUID NOT NULL,
    "pool_key" VARCHAR(64) NOT NULL,
    "out_id" VARCHAR(64) NOT NULL,
    "phone_a" VARCHAR(20) NOT NULL,
    "phone_b" VARCHAR(20) NOT NULL,
    "phone_x" VARCHAR(20),
    "subs_id" VARCHAR(64),
    "city" VARCHAR(32),
    "city_strict" BOOLEAN NOT NULL DEFAULT false,
    "record" BOOLEAN NOT NULL DEFAULT false,
    "state" "binding_state" NOT NULL DEFAULT 'pending',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "bindings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "bindings_parties_check" CHECK ("phone_a" <> "phone_b"),
    -- An active binding exists at the provider, so it has a SubsId and an X.
    CONSTRAINT "bindings_active_check" CHECK ("state" <> 'active' OR ("subs_id" IS NOT NULL AND "phone_x" IS NOT NULL))
);

-- CreateTable
CREATE TABLE "binding_events" (
    "id" BIGSERIAL NOT NULL,
    "binding_id" UUID NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "binding_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "secret_numbers_pool_key_city_state_idx" ON "secret_numbers"("pool_key", "city", "state");

-- A number belongs to at most one pool while it is held (a released number may be bought again).
CREATE UNIQUE INDEX "secret_numbers_held_number_key" ON "secret_numbers"("number") WHERE "state" <> 'released';

-- CreateIndex
CREATE INDEX "bindings_out_id_idx" ON "bindings"("out_id");

-- CreateIndex
CREATE INDEX "bindings_phone_a_idx" ON "bindings"("phone_a");

-- CreateIndex
CREATE INDEX "bindings_phone_b_idx" ON "bindings"("phone_b");

-- CreateIndex
CREATE INDEX "bindings_phone_x_idx" ON "bindings"("phone_x");

-- CreateIndex
CREATE INDEX "bindings_state_expires_at_idx" ON "bindings"("state", "expires_at");

-- CreateIndex
CREATE INDEX "bindings_created_at_id_idx" ON "bindings"("created_at" DESC, "id" DESC);

-- Invariant 1: at most one live binding per (pool, outId).
CREATE UNIQUE INDEX "bindings_live_out_id_key" ON "bindings"("pool_key", "out_id")
    WHERE "state" IN ('pending', 'active', 'unknown');

-- Invariant 2: never two live bindings on the same X sharing A, or sharing B.
CREATE UNIQUE INDEX "bindings_live_x_a_key" ON "bindings"("phone_x", "phone_a")
    WHERE "state" IN ('pending', 'active', 'unknown') AND "phone_x" IS NOT NULL;
CREATE UNIQUE INDEX "bindings_live_x_b_key" ON "bindings"("phone_x", "phone_b")
    WHERE "state" IN ('pending', 'active', 'unknown') AND "phone_x" IS NOT NULL;

-- CreateIndex
CREATE INDEX "binding_events_binding_id_at_idx" ON "binding_events"("binding_id", "at");

-- AddForeignKey
ALTER TABLE "secret_numbers" ADD CONSTRAINT "secret_numbers_pool_key_fkey" FOREIGN KEY ("pool_key") REFERENCES "pools"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_pool_key_fkey" FOREIGN KEY ("pool_key") REFERENCES "pools"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "binding_events" ADD CONSTRAINT "binding_events_binding_id_fkey" FOREIGN KEY ("binding_id") REFERENCES "bindings"("id") ON DELETE CASCADE ON UPDATE CASCADE;
