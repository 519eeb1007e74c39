import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQueries } from '../support/query-counter.js';
import { TestClock } from '../support/test-clock.js';
import { routedEvents, startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * A stranger's lookup (a caller who is neither party) tells nothing of whether the binding exists
 * (issue 27, requirement 4): not by its answer, and not by its time — it does the same work
 * either way, checked here by the statements it sends (a cached binding is refused only after the
 * read an unknown one costs; bench/routing-strangers.ts measures the times). Refusals are counted
 * in routed_counts, and only the first of its kind for a binding becomes an event.
 */
const POOL = 'FCSTRANGERS';
const clock = new TestClock();
let f: RoutingFixture;
let sql: pg.Client;

beforeAll(async () => {
  f = await startRoutingFixture({ pool: POOL, clock, env: { ROUTING_CACHE_TTL_MS: '600000' } });
  sql = new pg.Client({ connectionString: f.t.config.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await f?.close();
});

const STRANGER = '13712345678';

/** The routing reads one lookup sends (other statements, e.g. the counts' flush, left out). */
async function readsOf(
  body: Record<string, unknown>,
): Promise<{ status: number; reads: string[] }> {
  const counter = countQueries();
  const answer = await f.lookup(body).catch((error: unknown) => {
    counter.stop();
    throw error;
  });
  const sent = counter.stop();
  return { status: answer.status, reads: sent.filter((name) => name.startsWith('routing-target')) };
}

describe("a stranger's lookup", () => {
  it('reads the database for a cached binding exactly as for an unknown one', async () => {
    const b = await f.bind();
    // Its party's lookup caches it (a binding in use is cached).
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).status).toBe(200);
    const party = await readsOf({ bindingId: b.id, callerNo: b.phoneA });
    expect(party).toEqual({ status: 200, reads: [] }); // a cache hit reads nothing

    const knownId = await readsOf({ bindingId: b.id, callerNo: STRANGER });
    const unknownId = await readsOf({ bindingId: randomUUID(), callerNo: STRANGER });
    expect(knownId).toEqual({ status: 403, reads: ['routing-target-by-id'] });
    expect(unknownId).toEqual(knownId);

    const knownOrder = await readsOf({ outId: b.outId, callerNo: STRANGER });
    const unknownOrder = await readsOf({ outId: `none-${randomUUID()}`, callerNo: STRANGER });
    expect(knownOrder).toEqual({ status: 403, reads: ['routing-target-by-out-id'] });
    expect(unknownOrder).toEqual(knownOrder);
  });

  it("leaves the parties' cached answers alone: strangers cannot wear out the cache", async () => {
    const b = await f.bind();
    expect((await f.lookup({ bindingId: b.id, callerNo: b.phoneA })).body).toMatchObject({
      source: 'provider',
    });
    for (let i = 0; i < 20; i += 1)
      expect((await f.lookup({ bindingId: b.id, callerNo: STRANGER })).status).toBe(403);
    const asked = await f.queryCallStatusCalls();
    const again = await readsOf({ bindingId: b.id, callerNo: b.phoneA });
    expect(again).toEqual({ status: 200, reads: [] });
    expect(await f.queryCallStatusCalls()).toBe(asked);
  });
});

describe('refused lookups', () => {
  it('are counted, and add one event per binding and kind however many there are', async () => {
    const b = await f.bind();
    const eventsBefore = (await f.detail(b.id)).events.length;
    const REFUSED = 300;
    for (let i = 0; i < REFUSED; i += 1) {
      // Strangers from many numbers, by id and by order.
      const callerNo = `1371234${String(i % 50).padStart(4, '0')}`;
      const body = i % 2 ? { bindingId: b.id, callerNo } : { outId: b.outId, callerNo };
      expect((await f.lookup(body)).status).toBe(403);
    }
    const detail = await f.detail(b.id);
    expect(detail.routing).toEqual([
      expect.objectContaining({
        caller: 'other',
        refused: true,
        reason: 'not-a-party',
        count: REFUSED,
      }),
    ]);
    const { rows } = await sql.query<{ n: string }>(
      `SELECT sum(count) AS n FROM routed_counts WHERE binding_id = $1 AND caller = 'other'`,
      [b.id],
    );
    expect(Number(rows[0]!.n)).toBe(REFUSED);
    // One event for all of them.
    expect(detail.events.length).toBe(eventsBefore + 1);
    expect(routedEvents(detail)).toHaveLength(1);
    expect(routedEvents(detail)[0]!.details).toMatchObject({
      refused: true,
      reason: 'not-a-party',
    });
  });
});
