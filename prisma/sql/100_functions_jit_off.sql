-- JIT off in every function that turns a plan type off. `SET enable_seqscan = off` (or
-- `enable_nestloop = off`) prices that plan type at 1e10 in every statement under the function,
-- nested ones included: a trigger's or a called function's read of a ten-row table, which only a
-- sequential scan can do, is then past jit_above_cost, and a session with JIT on (psql, a job
-- outside the service) compiled it at every call: settle_bound() ~50 ms a call against ~0.3 ms.
-- The service's own sessions turn JIT off (src/prisma/bounded-pool.ts); with this, the functions
-- are safe in any session. This file sorts after every other definition and every definition is
-- applied again when one changes, so a function given such a setting anywhere is covered here
-- without a word (test/database/function-settings-jit.test.ts).
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace = current_schema()::regnamespace
           AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c ~ '^enable_[a-z_]+=off$')
           AND NOT 'jit=off' = ANY (p.proconfig)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET jit = off', f);
    END LOOP;
END $$;
