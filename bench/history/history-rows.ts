import { SeededRandom, ZipfRanks, rankedNumber } from './seeded-random.js';

/** What a seeded history looks like (bench/history/seed-history.ts fills it). */
export interface HistoryShape {
  /** Ended bindings to write. */
  bindings: number;
  /** They were created evenly over this many months (30 days each) before `endMs`. */
  months: number;
  /** The last binding ended before this instant (ms). */
  endMs: number;
  seed: number;
  poolKey: string;
  /** The oldest share of the bindings written aged (numbers masked; see AgedNumbers). */
  agedShare: number;
}

/**
 * How an aged number is written (privacy aging): its masked form, and its keyed hash as COPY
 * text of a bytea (`\\x…`).
 */
export interface AgedNumbers {
  mask(phone: string): string;
  hash(phone: string): string;
  /** How long after its end a binding is aged (ms): its aged_at. */
  afterMs: number;
}

/** Every table of the record the seed writes, with its COPY columns in the order rows give them. */
export const RECORD_COLUMNS = {
  bindings: [
    'id',
    'pool_key',
    'out_id',
    'phone_a',
    'phone_b',
    'phone_x',
    'subs_id',
    'city',
    'record',
    'state',
    'expires_at',
    'created_at',
    'updated_at',
    'ended_at',
    'phone_a_hash',
    'phone_b_hash',
    'aged_at',
  ],
  binding_subscriptions: ['subs_id', 'binding_id', 'learnt_at'],
  binding_events: ['binding_id', 'kind', 'actor', 'at', 'details'],
  call_records: [
    'call_id',
    'binding_id',
    'sub_id',
    'out_id',
    'pool_key',
    'phone_no',
    'peer_no',
    'secret_no',
    'call_type',
    'call_time',
    'start_time',
    'release_time',
    'release_dir',
    'release_cause',
    'city',
    'received_at',
    'raw',
    'phone_no_hash',
    'peer_no_hash',
    'aged_at',
  ],
  call_progress: ['call_id', 'stage', 'binding_id', 'sub_id', 'at', 'received_at'],
  routed_counts: ['binding_id', 'caller', 'outcome', 'count', 'first_at', 'last_at'],
} as const;

export type RecordTable = keyof typeof RECORD_COLUMNS;
export const RECORD_TABLES = Object.keys(RECORD_COLUMNS) as RecordTable[];

/** Rows of COPY text format (tab-separated, `\N` for null, one per line), per table. */
export type RecordLines = Record<RecordTable, string[]>;

export const emptyLines = (): RecordLines =>
  Object.fromEntries(RECORD_TABLES.map((t) => [t, []])) as unknown as RecordLines;

const DAY_MS = 86_400_000;
const CITIES = ['杭州', '上海', '北京', '深圳', '广州', '成都', '武汉', '南京'];
const ORDERS = 'orders';

/** The order id of the binding numbered `i` (what a benchmark searches by). */
export const outIdOf = (i: number): string => `trip-${i.toString(36).padStart(6, '0')}`;

/**
 * The record's people and numbers for a history of `bindings`: riders (A) a quarter as many as
 * trips and drivers a fortieth, both Zipf-like with s = 0.5 (rank k takes trips ∝ 1/√k): of 1M
 * trips over six months the most frequent rider takes ~1,000 (five a day) and the least ~2, the
 * busiest driver ~3,000 (seventeen a day); middle numbers X one per 2,000 trips (20..5,000).
 */
export class HistoryPopulation {
  readonly riders: ZipfRanks;
  readonly drivers: ZipfRanks;
  readonly xCount: number;

  constructor(bindings: number) {
    this.riders = new ZipfRanks(Math.max(10, Math.floor(bindings / 4)), 0.5);
    this.drivers = new ZipfRanks(Math.max(10, Math.floor(bindings / 40)), 0.5);
    this.xCount = Math.min(5_000, Math.max(20, Math.floor(bindings / 2_000)));
  }

  static rider = (rank: number): string => rankedNumber('138', rank);
  static driver = (rank: number): string => rankedNumber('159', rank);
  static x = (n: number): string => `170${String(n).padStart(8, '0')}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Writes the rows of bindings [from, to) of a history into `out`: each an ended binding
 * (unbound 70 %, expired 25 %, failed 5 %) with the events a real one leaves (created, bound,
 * the first routed decision of each caller, a call_recorded per call, unbind_requested + unbound,
 * expired, or attempt_failed + failed), its SubsId, its calls (none for 35 %, up to 3) with
 * their call progress for half of them, and its routed counters. Deterministic for a seed and a
 * range: the generator is seeded per binding.
 */
export function writeHistoryRows(
  shape: HistoryShape,
  population: HistoryPopulation,
  from: number,
  to: number,
  out: RecordLines,
  aged?: AgedNumbers,
): void {
  const spanMs = shape.months * 30 * DAY_MS;
  const startMs = shape.endMs - spanMs;
  const agedBelow = Math.floor(shape.bindings * shape.agedShare);
  for (let i = from; i < to; i += 1) {
    const r = new SeededRandom(Math.imul(shape.seed, 0x01000193) ^ Math.imul(i, 0x9e3779b1));
    r.next();
    // Created in order, ended at the latest an hour and a half later (trip, then the TTL).
    const createdMs = Math.floor(
      startMs + ((i + r.next()) / shape.bindings) * (spanMs - 2 * 3_600_000),
    );
    const id = r.uuidV7(createdMs);
    const realA = HistoryPopulation.rider(population.riders.draw(r));
    const realB = HistoryPopulation.driver(population.drivers.draw(r));
    const isAged = i < agedBelow && aged !== undefined;
    const a = isAged ? aged.mask(realA) : realA;
    const b = isAged ? aged.mask(realB) : realB;
    /**
     * hash of one, hash of the other (written with the row, as the service does: aged or not),
     * aged_at (null while the numbers are real).
     */
    const agedColumns = (one: string, other: string) =>
      aged === undefined
        ? '\\N\t\\N\t\\N'
        : `${aged.hash(one)}\t${aged.hash(other)}\t${isAged ? iso(Math.min(shape.endMs, endedMs + aged.afterMs)) : '\\N'}`;
    const x = HistoryPopulation.x(r.below(population.xCount));
    const city = CITIES[r.below(CITIES.length)];
    const outId = outIdOf(i);
    const subsId = String(1_000_000_000_000 + i);
    const roll = r.next();
    const state = roll < 0.7 ? 'unbound' : roll < 0.95 ? 'expired' : 'failed';
    const expiresMs = createdMs + 3_600_000 + r.below(1_800_000);
    const boundMs = createdMs + 40 + r.below(200);
    const endedMs =
      state === 'expired'
        ? expiresMs
        : state === 'failed'
          ? boundMs
          : createdMs + 600_000 + r.below(2_400_000);
    const bound = state !== 'failed';
    out.bindings.push(
      `${id}\t${shape.poolKey}\t${outId}\t${a}\t${b}\t${x}\t${bound ? subsId : '\\N'}\t${city}\t` +
        `${r.next() < 0.3 ? 't' : 'f'}\t${state}\t${iso(expiresMs)}\t${iso(createdMs)}\t` +
        `${iso(endedMs)}\t${iso(endedMs)}\t${agedColumns(realA, realB)}`,
    );
    const event = (kind: string, actor: string, atMs: number, details = '{}') =>
      out.binding_events.push(`${id}\t${kind}\t${actor}\t${iso(atMs)}\t${details}`);
    event('created', ORDERS, createdMs, `{"requestId":"seed-${i}"}`);
    if (!bound) {
      event('attempt_failed', 'scheduler', boundMs, '{"code":"isp.SYSTEM_ERROR"}');
      event('failed', 'scheduler', boundMs + 1);
      continue;
    }
    out.binding_subscriptions.push(`${subsId}\t${id}\t${iso(boundMs)}`);
    event('bound', ORDERS, boundMs);

    const callRoll = r.next();
    const calls = callRoll < 0.35 ? 0 : callRoll < 0.75 ? 1 : callRoll < 0.92 ? 2 : 3;
    const firstByCaller = new Map<'A' | 'B', { count: number; first: number; last: number }>();
    let callAt = boundMs + 30_000 + r.below(120_000);
    for (let c = 0; c < calls; c += 1) {
      const byA = r.next() < 0.65;
      const answered = r.next() < 0.8;
      const startMs = callAt + 3_000 + r.below(15_000);
      const releaseMs = answered ? startMs + 10_000 + r.below(170_000) : startMs;
      const receivedMs = releaseMs + 2_000 + r.below(20_000);
      // Calls happen while the binding lives, and their records arrive before it ends.
      if (receivedMs >= endedMs) break;
      const caller = byA ? 'A' : 'B';
      const seen = firstByCaller.get(caller);
      const routedAt = callAt - 200;
      if (seen) {
        seen.count += 1;
        seen.last = routedAt;
      } else {
        firstByCaller.set(caller, { count: 1, first: routedAt, last: routedAt });
        event('routed', 'routing', routedAt, `{"caller":"${caller}","outcome":"1/local/normal"}`);
      }
      const callId = `seed${subsId}${c}`;
      const [phoneNo, peerNo] = byA ? [a, b] : [b, a];
      const [realNo, realPeer] = byA ? [realA, realB] : [realB, realA];
      const raw =
        `{"call_id":"${callId}","sub_id":"${subsId}","pool_key":"${shape.poolKey}",` +
        `"phone_no":"${phoneNo}","secret_no":"${x}","peer_no":"${peerNo}",` +
        `"call_type":${byA ? 0 : 1},"call_time":"${iso(callAt)}","release_dir":1,` +
        `"release_cause":${answered ? 16 : 19},"out_id":"${outId}"}`;
      out.call_records.push(
        `${callId}\t${id}\t${subsId}\t${outId}\t${shape.poolKey}\t${phoneNo}\t${peerNo}\t${x}\t` +
          `${byA ? 0 : 1}\t${iso(callAt)}\t${answered ? iso(startMs) : '\\N'}\t${iso(releaseMs)}\t` +
          `1\t${answered ? 16 : 19}\t${city}\t${iso(receivedMs)}\t${raw}\t` +
          agedColumns(realNo, realPeer),
      );
      event('call_recorded', 'provider', receivedMs, `{"callId":"${callId}"}`);
      if (r.next() < 0.5) {
        const stage = (name: string, atMs: number) =>
          out.call_progress.push(
            `${callId}\t${name}\t${id}\t${subsId}\t${iso(atMs)}\t${iso(atMs + 500)}`,
          );
        stage('started', callAt);
        stage('ringing', callAt + 1_500);
        if (answered) stage('answered', startMs);
      }
      callAt = releaseMs + 60_000 + r.below(600_000);
    }
    for (const [caller, n] of firstByCaller) {
      // A decision is counted once per lookup; apps look up again on a redial.
      const count = n.count + r.below(2);
      out.routed_counts.push(
        `${id}\t${caller}\t1/local/normal\t${count}\t${iso(n.first)}\t${iso(n.last)}`,
      );
    }
    if (state === 'unbound') {
      event('unbind_requested', ORDERS, endedMs - 150, '{"state":"active"}');
      event('unbound', ORDERS, endedMs);
    } else {
      event('expired', 'scheduler', endedMs);
    }
  }
}
