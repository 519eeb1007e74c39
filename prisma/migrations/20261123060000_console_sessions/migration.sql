-- Sessions of the admin console (/console): an admin API key is exchanged for a random session
-- token carried in an HttpOnly cookie. Only a sha256 of the token is stored (it is 256 random
-- bits, so a fast hash is enough), so a copy of this table signs nobody in. Kept in the database
-- so every instance accepts the same sessions and a sign-out or revocation ends them everywhere.
-- A session belongs to a key (by its prefix): revoking the key ends its sessions at once.

CREATE TABLE "console_sessions" (
    "id" BIGSERIAL NOT NULL,
    "token_hash" CHAR(64) NOT NULL,
    "key_prefix" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    -- Slides forward with use (idle timeout), never past created_at + the maximum lifetime.
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "console_sessions_expiry_check" CHECK ("expires_at" > "created_at")
);

CREATE UNIQUE INDEX "console_sessions_token_hash_key" ON "console_sessions"("token_hash");
-- Sign-in prunes sessions that ended long ago.
CREATE INDEX "console_sessions_expires_at_idx" ON "console_sessions"("expires_at");
