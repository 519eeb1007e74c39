-- Bindings: what "live" and "open" mean, the one SQL definition of each.
--
-- Repeatable definitions (this folder): applied by the migration runner after the migrations,
-- in file name order, all of them again whenever any file changed (so a type or function one
-- file drops and recreates is recreated for the files that use it too). Each file must be safe to
-- run again: CREATE OR REPLACE, DROP … IF EXISTS. Tables, indexes and data moves belong in
-- migrations.
--
-- src/bindings/binding-states.ts holds the TypeScript twins (LIVE_STATES, OPEN_STATES);
-- test/database/bind-path-sql.test.ts checks that they agree and that no other SQL function
-- spells the states out.

-- A live binding holds its order and its pairs on X (it has a row in live_pairs).
CREATE OR REPLACE FUNCTION binding_state_live(s binding_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT s IN ('pending', 'active', 'unknown', 'unbinding') $$;

-- An open binding's provider side is not settled: reconciliation settles it.
CREATE OR REPLACE FUNCTION binding_state_open(s binding_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT s IN ('pending', 'unknown', 'unbinding') $$;
