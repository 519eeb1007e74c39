-- The record's DEFAULT partition of bindings is the table bindings was before it was partitioned
-- (migration 20261207020000_history_partitions), and kept one trigger of that table which the
-- migration did not drop: bindings_routing_cache_update (a statement-level notifier since folded
-- into bindings_changed(), 030_binding_record.sql). It never fired while every statement was aimed
-- at the parent; expire_bindings() (050_bind_path.sql) now aims its update at the partitions, and
-- it would tell the routing caches every expired binding of that partition twice over, pending
-- and unknown ones included. A partition of the record carries its guard and nothing else.
DROP TRIGGER IF EXISTS "bindings_routing_cache_update" ON "bindings_default";
