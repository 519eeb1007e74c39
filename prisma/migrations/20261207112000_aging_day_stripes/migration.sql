-- Privacy aging's stripes by the day of creation instead of the id's last byte (issue 22 item 2:
-- aging 1M ended bindings in under a minute). A stripe of one row in 8 of every page made each
-- batch dirty, and log whole after a checkpoint, ~6x the heap pages of the same number of
-- neighbouring rows: aging_stripe_window() (prisma/sql/090_history_partitions.sql) now walks every
-- 8th day of creation time per stripe.
--
-- A cursor meant "every binding of my stripe created before me has been looked at": with the
-- stripes changed, only what lies before every cursor has been. Each cursor goes back to the
-- earliest of them (what lies between is looked at again: aged rows are passed over, pending ones
-- put in aging_pending again as they are), and no stripe is walked at any cutoff yet.
UPDATE "aging_progress"
   SET ("created_at", "binding_id") = (SELECT "created_at", "binding_id" FROM "aging_progress"
                                        ORDER BY "created_at", "binding_id" LIMIT 1),
       "walked" = NULL;
