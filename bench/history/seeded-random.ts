/**
 * The seeding tool's randomness: a small seeded generator (mulberry32), so one `--seed` gives the
 * same history every time (a benchmark can name the numbers and orders it will search for), and a
 * Zipf-like draw of ranks: a few riders and drivers take many trips, most take few.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An unsigned 32-bit number. */
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /**
   * A version-7 UUID for an instant (RFC 9562: 48-bit Unix ms first, the rest from this
   * generator): the record's ids carry their creation time, so ids of one month make one range
   * (and neighbouring bindings neighbouring index entries).
   */
  uuidV7(ms: number): string {
    const h = (n: number, width: number) => n.toString(16).padStart(width, '0');
    const time = h(ms, 12);
    const c = h(((this.u32() & 0x3fffffff) | 0x80000000) >>> 0, 8);
    return (
      `${time.slice(0, 8)}-${time.slice(8)}-7${h(this.u32() & 0xfff, 3)}-` +
      `${c.slice(0, 4)}-${c.slice(4)}${h(this.u32(), 8)}`
    );
  }
}

/**
 * Ranks 1..size drawn with probability ∝ rank^-exponent (a continuous power law, inverted in
 * O(1): no table, whatever the size). Exponent 1 is special-cased (the logarithm).
 */
export class ZipfRanks {
  private readonly span: number;

  constructor(
    readonly size: number,
    private readonly exponent: number,
  ) {
    this.span = exponent === 1 ? Math.log(size + 1) : Math.pow(size + 1, 1 - exponent) - 1;
  }

  draw(random: SeededRandom): number {
    const u = random.next();
    const x =
      this.exponent === 1
        ? Math.exp(u * this.span)
        : Math.pow(u * this.span + 1, 1 / (1 - this.exponent));
    return Math.min(this.size, Math.max(1, Math.floor(x)));
  }
}

/**
 * A rank's phone number: `prefix` (3 digits) and 8 digits that scatter the ranks (a multiplication
 * modulo 10^8 by a number prime to it, a bijection), so frequent numbers are not neighbours.
 */
export function rankedNumber(prefix: string, rank: number): string {
  // Exact in doubles: rank ≤ 10^8 keeps the product under 2^53.
  const scattered = (rank * 48_271_871) % 100_000_000;
  return `${prefix}${String(scattered).padStart(8, '0')}`;
}
