import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock/clock.js';
import {
  ProviderAbortedError,
  ProviderCodeError,
  ProviderError,
  ProviderTimeoutError,
} from '../provider/errors/index.js';
import {
  PROVIDER,
  type CallStatusResult,
  type ProviderPort,
  type QueryCallStatusInput,
} from '../provider/provider.port.js';
import type { LocalCause } from './route-answer.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';

export type CallStatusOutcome =
  { ok: true; result: CallStatusResult } | { ok: false; cause: LocalCause };

/**
 * QueryCallStatus within the routing time budget: one attempt, cancelled at the budget, behind a
 * circuit breaker; and not asked at all for a while once the provider has refused the action for
 * our account (a private action at Alibaba). Never throws for provider failures: it says why
 * there is no answer, and the caller decides locally.
 */
@Injectable()
export class CallStatusGateway {
  private readonly logger = new Logger(CallStatusGateway.name);
  private readonly breaker: CircuitBreaker;
  /** Clock time (ms) until which a refusal is remembered. */
  private refusedUntil = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
  ) {
    const { breakerFailures, breakerCooldownMs } = config.routing;
    this.breaker = new CircuitBreaker(
      { failures: breakerFailures, cooldownMs: breakerCooldownMs },
      () => this.clock.now().getTime(),
    );
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  async query(input: QueryCallStatusInput, requestId?: string): Promise<CallStatusOutcome> {
    if (this.clock.now().getTime() < this.refusedUntil)
      return { ok: false, cause: 'provider-refused' };
    if (!this.breaker.tryAcquire()) return { ok: false, cause: 'circuit-open' };
    const budget = this.config.routing.budgetMs;
    try {
      const result = await this.provider.queryCallStatus(input, {
        signal: AbortSignal.timeout(budget),
        timeoutMs: budget,
        retries: 0,
        requestId,
      });
      this.breaker.succeeded();
      return { ok: true, result };
    } catch (error) {
      if (!(error instanceof ProviderError)) {
        this.breaker.released();
        throw error;
      }
      return { ok: false, cause: this.classify(error) };
    }
  }

  /** Settles the breaker for a failed call and names the cause for the local decision. */
  private classify(error: ProviderError): LocalCause {
    if (error instanceof ProviderCodeError && error.kind === 'permission') {
      this.breaker.released();
      this.refusedUntil = this.clock.now().getTime() + this.config.routing.refusedRecheckMs;
      this.logger.warn(
        `QueryCallStatus refused for this account (${error.code}); deciding locally for ` +
          `${this.config.routing.refusedRecheckMs} ms`,
      );
      return 'provider-refused';
    }
    if (error instanceof ProviderCodeError && error.kind === 'not-found') {
      // A definite answer about this binding: the provider itself is healthy.
      this.breaker.succeeded();
      return 'unknown-subscription';
    }
    const wasClosed = this.breaker.state === 'closed';
    this.breaker.failed();
    if (wasClosed && this.breaker.state !== 'closed') {
      this.logger.warn(`QueryCallStatus circuit opened after: ${error.message}`);
    }
    if (error instanceof ProviderCodeError) {
      return error.kind === 'throttled' ? 'flow-limit' : 'provider-error';
    }
    const timedOut = error instanceof ProviderAbortedError || error instanceof ProviderTimeoutError;
    return timedOut ? 'budget-exceeded' : 'provider-error';
  }
}
