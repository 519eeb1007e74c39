-- Webhook deliveries handed to pg-boss (issue 24 item 5, bind rate with endpoints). A delivery's
-- first try is made by the batch of its dispatch pass (one pg-boss job per endpoint and pass, not
-- one per delivery); only a delivery that must wait (its try failed, or an earlier event of its
-- binding is still waiting) gets a job of its own, and a row here until it is settled. A row holds
-- its key: a later event of the same binding at the same endpoint is not tried by its batch but
-- queued behind it (pg-boss's key_strict_fifo keeps that key's jobs in order). Rows are few (the
-- deliveries waiting on a failing receiver) and deleted by the statement that settles them.
CREATE TABLE "webhook_queued_deliveries" (
    "delivery_id" UUID NOT NULL,
    "endpoint_id" UUID NOT NULL,
    -- The binding's id, or for an event without a binding its webhook-id (nothing follows it).
    "order_key" VARCHAR(40) NOT NULL,
    CONSTRAINT "webhook_queued_deliveries_pkey" PRIMARY KEY ("delivery_id"),
    CONSTRAINT "webhook_queued_deliveries_delivery_id_fkey" FOREIGN KEY ("delivery_id")
        REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE
);
CREATE INDEX "webhook_queued_deliveries_endpoint_id_order_key_idx"
    ON "webhook_queued_deliveries" ("endpoint_id", "order_key");

-- Deliveries already waiting in pg-boss (every pending one had a job of its own before) hold their
-- keys from the start.
INSERT INTO "webhook_queued_deliveries" ("delivery_id", "endpoint_id", "order_key")
SELECT d."id", d."endpoint_id", coalesce(v."binding_id"::text, v."msg_id")
  FROM "webhook_deliveries" d JOIN "webhook_events" v ON v."id" = d."event_id"
 WHERE d."status" = 'pending';
