import { NATIONWIDE_CITY } from '../options.js';

/** 1 = virtual operator (170/171), 2 = carrier numbers, 3 = 95 numbers (nationwide). */
export type SpecId = 1 | 2 | 3;

export interface SecretNumber {
  secretNo: string;
  specId: SpecId;
  city: string;
  /** The pool that bought it; null while it is spare stock. */
  poolKey: string | null;
  health: 'normal' | 'abnormal';
  /** Set while this spare number stands in as the temporary X of an abnormal number. */
  temporaryFor: string | null;
  /** LockSecretNo: never chosen for a new binding until unlocked. */
  locked: boolean;
}

const SPEC1_PREFIXES = ['170', '171'];
const SPEC2_PREFIXES = [
  '130',
  '131',
  '132',
  '135',
  '138',
  '150',
  '151',
  '155',
  '158',
  '180',
  '186',
];

/**
 * The number inventory: generated stock for every spec and city, who owns what, number health and
 * the temporary X lent to abnormal numbers. Generation is deterministic so a reset replays it.
 */
export class NumberStock {
  private readonly numbers = new Map<string, SecretNumber>();

  constructor(
    private readonly cities: readonly string[],
    private readonly perCity: number,
  ) {
    this.generate();
  }

  get(secretNo: string): SecretNumber | undefined {
    return this.numbers.get(secretNo);
  }

  all(): SecretNumber[] {
    return [...this.numbers.values()];
  }

  ownedBy(poolKey: string): SecretNumber[] {
    return this.all().filter((n) => n.poolKey === poolKey);
  }

  /** Unowned numbers not lent out as a temporary X: what BuySecretNo can sell. */
  spare(specId: SpecId, city?: string, prefix?: string): SecretNumber[] {
    return this.all().filter(
      (n) =>
        n.poolKey === null &&
        n.temporaryFor === null &&
        n.specId === specId &&
        (city === undefined || n.city === city) &&
        (prefix === undefined || n.secretNo.startsWith(prefix)),
    );
  }

  citiesOf(specId: SpecId): string[] {
    return specId === 3 ? [NATIONWIDE_CITY] : [...this.cities];
  }

  /** Gives each pool `perCity` spec-2 numbers in every city, in pool order. */
  assignInitialOwnership(poolKeys: readonly string[], perCity: number): void {
    for (const city of this.cities) {
      const free = this.spare(2, city);
      let next = 0;
      for (const poolKey of poolKeys) {
        for (let i = 0; i < perCity && next < free.length; i += 1, next += 1) {
          const number = free[next];
          if (number) number.poolKey = poolKey;
        }
      }
    }
  }

  private generate(): void {
    this.cities.forEach((city, cityIndex) => {
      const cityCode = String(cityIndex + 10).padStart(2, '0');
      for (let i = 0; i < this.perCity; i += 1) {
        const serial = String(i).padStart(6, '0');
        this.add(`${SPEC1_PREFIXES[i % SPEC1_PREFIXES.length]}${cityCode}${serial}`, 1, city);
        this.add(`${SPEC2_PREFIXES[i % SPEC2_PREFIXES.length]}${cityCode}${serial}`, 2, city);
      }
    });
    for (let i = 0; i < this.perCity; i += 1) {
      this.add(`95013${String(i).padStart(7, '0')}`, 3, NATIONWIDE_CITY);
    }
  }

  private add(secretNo: string, specId: SpecId, city: string): void {
    this.numbers.set(secretNo, {
      secretNo,
      specId,
      city,
      poolKey: null,
      health: 'normal',
      temporaryFor: null,
      locked: false,
    });
  }
}
