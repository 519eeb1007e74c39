import { Inject, Injectable } from '@nestjs/common';
import { TokenBuckets } from '../auth/token-bucket.js';
import { Clock } from '../common/clock/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/**
 * Searches by a phone number, limited per API key on their own (PHONE_SEARCH_PER_MINUTE, a burst
 * of that many, then one every 60/N s), whatever the key's general rate: a search for a number
 * answers whether it was a party of any binding, so from a masked `138****5678` the full number
 * could otherwise be found by trying the ten thousand candidates. Each search is also recorded
 * (access_log). Per instance, like the general rate limit.
 */
@Injectable()
export class PhoneSearchLimit {
  private readonly buckets: TokenBuckets;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    const perMinute = config.bindings.phoneSearchPerMinute;
    this.buckets = new TokenBuckets(perMinute / 60, perMinute);
  }

  /** Takes one search for `actor`; 429 PHONE_SEARCH_RATE_LIMITED (Retry-After) beyond the rate. */
  take(actor: string): void {
    const wait = this.buckets.take(actor, this.clock.now().getTime());
    if (wait > 0) {
      throw new DomainError(
        'PHONE_SEARCH_RATE_LIMITED',
        `Too many searches by phone number for this key; retry in ${wait} s`,
        429,
        { retryAfterSeconds: wait },
      );
    }
  }
}
