-- Issue 27, requirement 3: order keys are scoped to the bindings their caller group made.

-- The caller group of a key (NULL: the key's own name). Keys of one group act on each other's
-- bindings (an order service running several keys, or rotating one under a new name).
ALTER TABLE "api_keys" ADD COLUMN "caller_group" VARCHAR(64);

-- The caller group that made the binding (written by place_bindings()). Order keys of any other
-- group are answered 404 for it (409 "taken" when they bind its order); admin keys see all.
-- Not indexed: reading it never leaves the row the primary key or the order found, and its
-- writes stay HOT.
ALTER TABLE "bindings" ADD COLUMN "owner" VARCHAR(64);

-- Bindings made before: their group is the key that made them (the actor of their `created`
-- event, a key's name). One with no such event (none is expected) keeps NULL: admin only.
UPDATE "bindings" b SET "owner" = e."actor"
  FROM "binding_events" e
 WHERE e."binding_id" = b."id" AND e."kind" = 'created' AND b."owner" IS NULL;
