-- The record's month partitions (README "History: month partitions, retention, privacy aging").
-- Every table of the record is range-partitioned by the binding id; a binding id made here is a
-- UUIDv7 whose first 48 bits are its creation time in Unix milliseconds, so a month is one id
-- range and the same bounds cut every table. The tables and their DEFAULT partitions are made by
-- migration 20261207020000_history_partitions; the history job (src/history/) calls these.

-- A UUIDv7 for a binding created at p_at (RFC 9562: 48-bit Unix ms, version 7, variant 10,
-- random rest). Postgres 15 has no uuidv7(); this is the same layout, from p_at (the caller's
-- clock) rather than the server's, so the id falls in the month of the binding's created_at.
CREATE OR REPLACE FUNCTION binding_id_at(p_at timestamptz) RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
               PLACING substring(int8send(floor(extract(epoch FROM p_at) * 1000)::bigint) FROM 3)
               FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- The lowest id of the month holding p_at (UTC): its first millisecond, every other bit zero.
CREATE OR REPLACE FUNCTION history_month_bound(p_at timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(substring(int8send(floor(extract(epoch FROM date_trunc('month', p_at, 'UTC'))
                                           * 1000)::bigint) FROM 3)
                  || '\x00000000000000000000'::bytea, 'hex')::uuid
$$;

-- The partitioned tables of the record, their partition key and their fillfactor (settles and
-- expiries update bindings and routed counts in place, and privacy aging every binding and call
-- record once, a batch's rows together: HOT updates need room on the page. A month's rows all
-- age, and a non-HOT update would grow the partition by as much, so the room costs no more).
CREATE OR REPLACE FUNCTION history_tables()
RETURNS TABLE (parent text, key text, fillfactor integer)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('bindings', 'id', 50), ('binding_events', 'binding_id', 100),
           ('routed_counts', 'binding_id', 70), ('binding_subscriptions', 'binding_id', 100),
           ('call_records', 'binding_id', 50), ('call_progress', 'binding_id', 100)
$$;

-- Whether a binding id carries its time: a UUIDv7 (version nibble 7). The bindings made before
-- the record was partitioned hold random v4 ids, whose first 48 bits are no time at all.
CREATE OR REPLACE FUNCTION binding_id_has_time(p_id uuid) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT substr(p_id::text, 15, 1) = '7' $$;

-- The record is written through its parent tables only. Its statement-level triggers (the live
-- pairs, the reconciliation queue, the routing caches' notifications, the events' binding check,
-- the webhook outbox: 030, 080) are on the parents, and Postgres fires a parent's statement
-- triggers only for statements aimed at the parent: an INSERT, UPDATE or DELETE aimed at a month
-- or DEFAULT partition directly (an operator in psql, a script) would change the record while
-- bypassing all of them. Every partition of the record carries this guard, which refuses such a
-- statement; a statement through the parent never fires it (so it costs the hot paths nothing).
-- Partition maintenance that must move rows between partitions (history_partition_create(),
-- below) says so for its own statement with `axb.partition_maintenance`.
CREATE OR REPLACE FUNCTION history_partition_write_refused() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('axb.partition_maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- expire_bindings() (050_bind_path.sql) writes its update and events to the months
    -- themselves and does what the parents' triggers would, while it sets this around them.
    IF current_setting('axb.expire_followed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- Privacy aging (src/history/phone-aging.repository.ts) rewrites ended rows' numbers in the
    -- months themselves: the parents' triggers have nothing to follow in it (bindings_changed()
    -- skips it, 030; the call records' outbox trigger looks only at recordings made ready, 080),
    -- and aimed at a parent the statement would still copy every old and new row into their
    -- transition tables (spilled to disk at a batch's size) for them.
    IF current_setting('axb.aging_followed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on partition % refused: write the record through its table %',
                    TG_OP, TG_TABLE_NAME,
                    (SELECT i.inhparent::regclass::text FROM pg_inherits i
                      WHERE i.inhrelid = TG_RELID LIMIT 1)
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Statements aimed at a partition bypass the record''s triggers (live pairs, '
                     'routing caches, events, webhooks).';
END $$;

-- Puts the guard on one partition (idempotent).
CREATE OR REPLACE FUNCTION history_partition_guard(p_partition text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER record_partition_guard '
                   'BEFORE INSERT OR UPDATE OR DELETE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION history_partition_write_refused()',
                   p_partition);
END $$;

-- Creates the partition of p_parent for the month holding p_month, unless it exists. Rows of
-- that month's id range in the DEFAULT partition move into it first (attaching a range the
-- default still holds rows of fails): bindings written while the month had no partition, and
-- the rare old binding whose random v4 id falls in the range. The latter is no binding of that
-- month: it is recorded in history_legacy_bindings, and retention decides it by its own times
-- (src/history/history-partitions.repository.ts). Returns how many rows moved, or NULL when the
-- partition existed.
CREATE OR REPLACE FUNCTION history_partition_create(p_parent text, p_month timestamptz,
                                                    p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_month date := (date_trunc('month', p_month, 'UTC') AT TIME ZONE 'UTC')::date;
    v_name text := p_parent || '_p' || to_char(v_month, 'YYYY_MM');
    v_lo uuid := history_month_bound(p_month);
    v_hi uuid := history_month_bound(date_trunc('month', p_month, 'UTC') + interval '1 month');
    v_key text;
    v_fill integer;
    v_moved bigint;
BEGIN
    SELECT t.key, t.fillfactor INTO v_key, v_fill FROM history_tables() t WHERE t.parent = p_parent;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not a table of the record', p_parent;
    END IF;
    IF to_regclass(format('%I', v_name)) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                   'WITH (fillfactor = %s)', v_name, p_parent, v_fill);
    -- (Rows moved out of the DEFAULT partition as they are: nothing the record's triggers follow
    -- changes, so the move is aimed at the partitions themselves, past their guard.)
    PERFORM set_config('axb.partition_maintenance', 'on', true);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved',
                   p_parent || '_default', v_key, v_key, v_name) USING v_lo, v_hi;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    PERFORM set_config('axb.partition_maintenance', 'off', true);
    IF p_parent = 'bindings' AND v_moved > 0 THEN
        EXECUTE format('INSERT INTO history_legacy_bindings (binding_id, month, moved_at) '
                       'SELECT id, $1, $2 FROM %I WHERE NOT binding_id_has_time(id) '
                       'ON CONFLICT (binding_id) DO UPDATE SET month = EXCLUDED.month', v_name)
            USING v_month, p_now;
    END IF;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   p_parent, v_name, v_lo, v_hi);
    PERFORM history_partition_guard(v_name);
    INSERT INTO history_partitions (name, parent, month, created_at)
    VALUES (v_name, p_parent, v_month, p_now)
    ON CONFLICT (name) DO UPDATE SET created_at = EXCLUDED.created_at, dropped_at = NULL;
    RETURN v_moved;
END $$;

-- The month partitions of the record that exist, with their bounds (from the catalog).
CREATE OR REPLACE VIEW history_month_partitions AS
SELECT t.parent, c.relname::text AS name,
       to_date(right(c.relname, 7), 'YYYY_MM') AS month,
       history_month_bound(to_date(right(c.relname, 7), 'YYYY_MM')::timestamp
                           AT TIME ZONE 'UTC') AS lo,
       history_month_bound((to_date(right(c.relname, 7), 'YYYY_MM') + interval '1 month')
                           AT TIME ZONE 'UTC') AS hi
  FROM history_tables() t
  JOIN pg_inherits i ON i.inhparent = t.parent::regclass
  JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relname ~ '_p[0-9]{4}_[0-9]{2}$';

-- Bindings of the id range [p_lo, p_hi) that are not over: live, open at the provider, or in a
-- contact window, with their order (live) or id. A month holding one is never dropped. Reads
-- only the live-state tables: the caller has detached the month's bindings partition already.
CREATE OR REPLACE FUNCTION history_range_open_orders(p_lo uuid, p_hi uuid, p_limit integer)
RETURNS TABLE (binding_id uuid, out_id text)
LANGUAGE sql STABLE AS $$
    SELECT o.binding_id, max(o.out_id)
      FROM (SELECT lp.binding_id, lp.out_id::text FROM live_pairs lp
             WHERE lp.binding_id >= p_lo AND lp.binding_id < p_hi
            UNION ALL
            SELECT q.binding_id, NULL FROM reconcile_queue q
             WHERE q.binding_id >= p_lo AND q.binding_id < p_hi
            UNION ALL
            SELECT w.binding_id, NULL FROM contact_windows w
             WHERE w.binding_id >= p_lo AND w.binding_id < p_hi) o
     GROUP BY o.binding_id
     ORDER BY o.binding_id
     LIMIT p_limit
$$;

-- Privacy aging's walk (src/history/phone-aging.repository.ts): the next p_limit unaged bindings of one
-- stripe after its cursor (p_after_at, p_after_id), created before p_cutoff, in creation order. A
-- stripe is every p_stripes-th bucket of p_bucket_ms of creation time, so a stripe's next bindings
-- are runs of neighbours: rows made one after another lie on the same heap pages (and their call
-- records on theirs), and a batch dirties (and after a checkpoint, logs whole) a few pages for
-- many rows. A stripe by the id's last byte took one row in 8 of every page: each batch dirtied
-- ~6x the pages. Buckets are read one at a time through the creation-time index (each a range of
-- it), a bucket of another stripe or an empty stretch skipped by one index probe.
CREATE OR REPLACE FUNCTION aging_stripe_window(p_stripe integer, p_stripes integer,
                                               p_bucket_ms bigint, p_after_at timestamptz,
                                               p_after_id uuid, p_cutoff timestamptz,
                                               p_limit integer)
RETURNS SETOF bindings
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_left integer := p_limit;
    v_next timestamptz;
    v_bucket bigint;
    v_lo timestamptz;
    v_hi timestamptz;
    v_n integer;
BEGIN
    -- The first binding after the cursor, of any stripe: the walk goes on from its bucket.
    SELECT b.created_at INTO v_next FROM bindings b
     WHERE (b.created_at, b.id) > (p_after_at, p_after_id) AND b.created_at < p_cutoff
     ORDER BY b.created_at, b.id LIMIT 1;
    WHILE v_left > 0 AND v_next IS NOT NULL LOOP
        -- That bucket, or the stripe's next one after it.
        v_bucket := floor(extract(epoch FROM v_next) * 1000 / p_bucket_ms)::bigint;
        v_bucket := v_bucket + ((p_stripe - v_bucket % p_stripes) % p_stripes + p_stripes) % p_stripes;
        v_lo := to_timestamp(v_bucket * p_bucket_ms / 1000.0);
        v_hi := v_lo + p_bucket_ms * interval '1 millisecond';
        -- (Aged rows are passed over here, not returned to be passed over by the caller: a
        -- stretch aged already, such as a record's oldest months aged before its cursors were
        -- made, costs a filter per row, not a batch of 5,000 read and sent for nothing.)
        RETURN QUERY
            SELECT * FROM bindings b
             WHERE b.created_at >= v_lo AND b.created_at < least(v_hi, p_cutoff)
               AND (b.created_at, b.id) > (p_after_at, p_after_id) AND b.aged_at IS NULL
             ORDER BY b.created_at, b.id LIMIT v_left;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_left := v_left - v_n;
        EXIT WHEN v_left = 0;
        -- The bucket is walked: the next binding after it, of any stripe.
        SELECT b.created_at INTO v_next FROM bindings b
         WHERE b.created_at >= v_hi AND b.created_at < p_cutoff
         ORDER BY b.created_at, b.id LIMIT 1;
    END LOOP;
END $$;

-- The partitions of p_parent that can hold a key in [p_lo, p_hi]: the months whose range meets
-- it, and the DEFAULT partition (keys of no month; NULL keys). Privacy aging writes its batch to
-- each of them directly (history_partition_write_refused(), above).
CREATE OR REPLACE FUNCTION history_partitions_between(p_parent text, p_lo uuid, p_hi uuid)
RETURNS TABLE (name text, is_default boolean)
LANGUAGE sql STABLE AS $$
    SELECT p.name, false FROM history_month_partitions p
     WHERE p.parent = p_parent AND p.lo <= p_hi AND p.hi > p_lo
    UNION ALL
    SELECT c.relname::text, true FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = p_parent::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
$$;

-- The month of now and the two after it exist from the first bind on any database (fresh or
-- upgraded): a bind never starts out in the DEFAULT partition. The history job keeps them so.
SELECT history_partition_create(t.parent, now() + m * interval '1 month', now())
  FROM history_tables() t, generate_series(0, 2) m;

-- Every partition of the record that exists now is guarded (those made before the guard, the
-- DEFAULT ones of migration 20261207020000 included); history_partition_create() guards the rest.
SELECT history_partition_guard(c.relname::text)
  FROM history_tables() t
  JOIN pg_inherits i ON i.inhparent = t.parent::regclass
  JOIN pg_class c ON c.oid = i.inhrelid;
