import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, DomainError, NotFoundError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** What a bind asks of the pool: a middle number for the pair (A, B). */
export interface XClaimRequest {
  poolKey: string;
  phoneA: string;
  phoneB: string;
  /** Preferred city of X; the configured default when absent. */
  city?: string;
  /** Only a number of `city` will do (the pool's own strict mode applies as well). */
  cityStrict: boolean;
  /** Only this number will do. */
  pinned?: string;
  /** Numbers not to offer (those the provider has just refused for this pair). */
  exclude?: readonly string[];
}

/** A claim request with the inventory's defaults and limits filled in. */
export interface XClaimTerms {
  poolKey: string;
  phoneA: string;
  phoneB: string;
  city: string;
  cityStrict: boolean;
  pinned: string | null;
  exclude: string[];
  maxPairs: number;
}

/** Why claim_x() found no number: see prisma/sql/020_live_pairs.sql. */
export type XClaimRefusal = 'no-pool' | 'no-numbers' | 'exhausted' | 'x-unavailable';

export const X_CLAIM_REFUSALS: readonly XClaimRefusal[] = [
  'no-pool',
  'no-numbers',
  'exhausted',
  'x-unavailable',
];

/**
 * The inventory's side of a bind: which middle number X may carry a pair. The rules live in the
 * SQL function `claim_x()` (held, healthy, pool, city and strict mode, least loaded, per-X row
 * lock with SKIP LOCKED then waiting, no party of the pair already on X in either role, fewer
 * than X_MAX_PAIRS live pairs), so that the bind path can claim X inside its own single
 * statement; bindings code only passes these terms through and never reads `secret_numbers`.
 */
@Injectable()
export class XClaimService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  terms(request: XClaimRequest): XClaimTerms {
    return {
      poolKey: request.poolKey,
      phoneA: request.phoneA,
      phoneB: request.phoneB,
      city: request.city ?? this.config.pools.defaultCity,
      cityStrict: request.cityStrict,
      pinned: request.pinned ?? null,
      exclude: [...(request.exclude ?? [])],
      maxPairs: this.config.pools.maxPairsPerX,
    };
  }

  /**
   * The arguments of claim_x() after its leading ones, in order, for a statement that calls it:
   * pool, A, B, city, city strict, pinned X, excluded numbers, max pairs.
   */
  static args(terms: XClaimTerms): unknown[] {
    return [
      terms.poolKey,
      terms.phoneA,
      terms.phoneB,
      terms.city,
      terms.cityStrict,
      terms.pinned,
      terms.exclude,
      terms.maxPairs,
    ];
  }

  /** The error a bind answers when no number could be claimed. */
  refusal(reason: XClaimRefusal, terms: XClaimTerms): DomainError {
    const { poolKey } = terms;
    switch (reason) {
      case 'no-pool':
        return new NotFoundError('Pool', { poolKey });
      case 'x-unavailable':
        return new ConflictError(
          'X_UNAVAILABLE',
          'The pinned phoneX is not usable for this pair now',
          { field: 'phoneX' },
        );
      case 'no-numbers':
        return new DomainError(
          'NO_NUMBERS',
          `Pool ${poolKey} holds no middle numbers${terms.cityStrict ? ` in ${terms.city}` : ''} ` +
            `here: buy some (POST /v1/pools/${poolKey}/numbers) or register those the account ` +
            `already holds (POST /v1/pools/${poolKey}/numbers/register)`,
          503,
          { poolKey, ...(terms.cityStrict ? { city: terms.city } : {}) },
        );
      case 'exhausted':
        return new DomainError(
          'NUMBERS_EXHAUSTED',
          'No middle number of the pool can take this pair now',
          503,
          {
            poolKey,
            reason: 'every usable number carries a party of this pair or is full',
          },
        );
    }
  }
}
