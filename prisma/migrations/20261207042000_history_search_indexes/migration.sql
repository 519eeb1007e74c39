-- Admin search at scale (issue 22 item 4): a search by order, party, X or hash returns pages of
-- 50 newest first (created_at DESC, id DESC). With an index on the searched column alone, the
-- planner either fetches every match to sort it (the busiest driver has thousands of bindings a
-- month) or walks the creation-time index filtering on the column (a whole month partition when
-- a number has no binding in it). Each searched column's index now carries the page's order, so
-- a page is the first 51 entries of one index range per partition, merged. Same columns as
-- before: a bind or an aging writes as many index entries as it did.
DROP INDEX "bindings_out_id_idx";
DROP INDEX "bindings_phone_a_idx";
DROP INDEX "bindings_phone_b_idx";
DROP INDEX "bindings_phone_x_idx";
DROP INDEX "bindings_phone_a_hash_idx";
DROP INDEX "bindings_phone_b_hash_idx";
CREATE INDEX "bindings_out_id_idx" ON "bindings"("out_id", "created_at" DESC, "id" DESC);
CREATE INDEX "bindings_phone_a_idx" ON "bindings"("phone_a", "created_at" DESC, "id" DESC);
CREATE INDEX "bindings_phone_b_idx" ON "bindings"("phone_b", "created_at" DESC, "id" DESC);
CREATE INDEX "bindings_phone_x_idx" ON "bindings"("phone_x", "created_at" DESC, "id" DESC);
-- An aged number is found by its hash only (the column holds its masked form).
CREATE INDEX "bindings_phone_a_hash_idx" ON "bindings"("phone_a_hash", "created_at" DESC, "id" DESC)
    WHERE "phone_a_hash" IS NOT NULL;
CREATE INDEX "bindings_phone_b_hash_idx" ON "bindings"("phone_b_hash", "created_at" DESC, "id" DESC)
    WHERE "phone_b_hash" IS NOT NULL;
