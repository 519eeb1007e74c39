-- Issue 11: `unbinding`, a binding the order service asked to unbind whose provider side is not
-- settled yet (its bind outcome still open, or UnbindSubscription unanswered). It keeps its order
-- and its pairs on X like a live state and never routes; reconciliation unbinds it at the
-- provider and ends it `unbound`.
--
-- Alone in its migration: Postgres refuses to use an enum value in the transaction that added it,
-- and each migration runs in one transaction. 20261123070100_reconcile_until_settled makes it a
-- live state (binding_state_live(), the live partial indexes and the live-X check).
ALTER TYPE "binding_state" ADD VALUE 'unbinding' AFTER 'unknown';
