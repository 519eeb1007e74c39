-- Webhook delivery cost (issue 24 item 5): every delivery's row is updated at least once (its
-- try recorded: attempts, status, last answer), and none of those columns is indexed, so the
-- update can be HOT (no new entry in the table's three indexes) when its page has room. Filled
-- to 100 %, a page rarely had: 10 % of the updates were HOT in the webhooks bench (848 of 8,808).
-- Room kept on each page for the new versions (pruning frees the old ones); existing pages get it
-- as they are rewritten.
ALTER TABLE "webhook_deliveries" SET (fillfactor = 80);
