import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import {
  HistoryPopulation,
  emptyLines,
  outIdOf,
  writeHistoryRows,
  type HistoryShape,
} from './history-rows.js';
import { SeededRandom } from './seeded-random.js';

/** One admin search: a kind (a row of the table) and its query string, without paging. */
export interface SearchProbe {
  kind: string;
  query: string;
}

/** A seeded binding as written before aging: what an admin would search for it by. */
export interface SeededParties {
  outId: string;
  phoneA: string;
  phoneB: string;
  phoneX: string;
}

/** The binding numbered `i` of a seeded history, regenerated (same seed, same rows). */
export function seededParties(
  shape: HistoryShape,
  population: HistoryPopulation,
  i: number,
): SeededParties {
  const lines = emptyLines();
  writeHistoryRows(shape, population, i, i + 1, lines);
  const cols = lines.bindings[0].split('\t');
  return {
    outId: outIdOf(i),
    phoneA: cols[3],
    phoneB: cols[4],
    phoneX: cols[5],
  };
}

const DAY_MS = 86_400_000;

/**
 * `count` searches of each kind the issue names, over bindings picked at random from the seeded
 * history (so phone numbers come Zipf-weighted, as admins meet them): by order id; by a full
 * phone number as A or as B, of a binding still holding its numbers and (when `aged`) of an aged
 * one; by X within the day the binding was made; by state within a day. The numbers are
 * regenerated from the seed (an aged binding no longer holds them); X and the day are read from
 * the binding's row (`sql`), so a history seeded earlier at another time serves as well.
 */
export async function searchProbes(
  sql: pg.Client,
  shape: Pick<HistoryShape, 'bindings' | 'seed' | 'agedShare' | 'months' | 'endMs' | 'poolKey'>,
  count: number,
  aged: boolean,
  seed: number,
): Promise<SearchProbe[]> {
  const population = new HistoryPopulation(shape.bindings);
  const random = new SeededRandom(seed);
  const agedBelow = Math.floor(shape.bindings * shape.agedShare);
  const exists = async (i: number) =>
    (await sql.query(`SELECT 1 FROM bindings WHERE out_id = $1`, [outIdOf(i)])).rowCount! > 0;
  // The oldest months may have been dropped (a month drop of an earlier run): bindings are
  // numbered oldest first, so the first one left is found by bisection and picks start there.
  let [low, high] = [0, shape.bindings - 1];
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) high = mid;
    else low = mid + 1;
  }
  const first = low;
  const pick = (from: number, to: number) => {
    const lo = Math.min(Math.max(from, first), to - 1);
    return seededParties(shape, population, lo + random.below(to - lo));
  };
  const row = async (outId: string) => {
    const { rows } = await sql.query<{ phone_x: string; created_at: Date }>(
      `SELECT phone_x, created_at FROM bindings WHERE out_id = $1`,
      [outId],
    );
    if (!rows[0])
      throw new Error(
        `seeded binding ${outId} not found: was the history seeded with these settings?`,
      );
    return rows[0];
  };
  const day = (at: Date) => {
    const from = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
    return (
      `createdFrom=${new Date(from).toISOString()}` +
      `&createdTo=${new Date(from + DAY_MS).toISOString()}`
    );
  };
  const kinds: Array<[string, () => Promise<string> | string]> = [
    ['order id', () => `outId=${pick(0, shape.bindings).outId}`],
    ['phone A', () => `phone=${pick(agedBelow, shape.bindings).phoneA}`],
    ['phone B', () => `phone=${pick(agedBelow, shape.bindings).phoneB}`],
  ];
  if (aged && agedBelow > 0) {
    kinds.push(['phone A, aged', () => `phone=${pick(0, agedBelow).phoneA}`]);
    kinds.push(['phone B, aged', () => `phone=${pick(0, agedBelow).phoneB}`]);
  }
  kinds.push([
    'X + day',
    async () => {
      const b = await row(pick(0, shape.bindings).outId);
      return `phoneX=${b.phone_x}&${day(b.created_at)}`;
    },
  ]);
  kinds.push([
    'state + day',
    async () => {
      const b = await row(pick(0, shape.bindings).outId);
      return `state=${random.next() < 0.5 ? 'expired' : 'unbound'}&${day(b.created_at)}`;
    },
  ]);
  const probes: SearchProbe[] = [];
  for (const [kind, query] of kinds) {
    for (let n = 0; n < count; n += 1) probes.push({ kind, query: await query() });
  }
  return probes;
}

export interface PageTimes {
  kind: string;
  /** Milliseconds of each page fetched (first pages and the pages after them). */
  ms: number[];
  /** Pages after the first (fetched with the previous page's nextCursor). */
  nextPages: number;
  /** Answers other than 200. */
  failures: number;
  /** Bindings found, over all pages. */
  found: number;
}

/**
 * Runs the probes one at a time (latency, not throughput), each page of `limit` and up to
 * `pages` pages by keyset paging (the previous page's nextCursor), masked view as the console
 * lists them; each page's time from request to the last byte of its answer.
 */
export async function runProbes(
  origin: string,
  headers: Record<string, string>,
  probes: SearchProbe[],
  limit: number,
  pages: number,
): Promise<Map<string, PageTimes>> {
  const out = new Map<string, PageTimes>();
  for (const probe of probes) {
    const times = out.get(probe.kind) ?? {
      kind: probe.kind,
      ms: [],
      nextPages: 0,
      failures: 0,
      found: 0,
    };
    out.set(probe.kind, times);
    let cursor: string | null = null;
    for (let page = 0; page < pages; page += 1) {
      const url =
        `${origin}/v1/bindings?${probe.query}&limit=${limit}&view=masked` +
        (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      const started = performance.now();
      const res = await fetch(url, { headers });
      const text = await res.text();
      times.ms.push(performance.now() - started);
      if (res.status !== 200) {
        times.failures += 1;
        break;
      }
      const body = JSON.parse(text) as { items: unknown[]; nextCursor: string | null };
      times.found += body.items.length;
      if (page > 0) times.nextPages += 1;
      cursor = body.nextCursor;
      if (!cursor) break;
    }
  }
  return out;
}
