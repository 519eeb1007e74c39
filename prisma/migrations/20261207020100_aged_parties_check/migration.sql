-- Two different numbers can share a masked form (138****1234): once aged, A and B may read the
-- same, and the parties' check holds only while the numbers are real.
ALTER TABLE "bindings" DROP CONSTRAINT "bindings_parties_check";
ALTER TABLE "bindings" ADD CONSTRAINT "bindings_parties_check"
    CHECK ("phone_a" <> "phone_b" OR "aged_at" IS NOT NULL);
