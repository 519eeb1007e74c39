import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/** The caller's signal cancelled the call (its own deadline or shutdown). */
export class ProviderAbortedError extends ProviderError {
  readonly retryable = false;
  readonly outcome: ProviderOutcome;

  constructor(context: ProviderErrorContext, sent: boolean, reason?: unknown) {
    super(context, 'cancelled by the caller', { cause: reason });
    this.outcome = ProviderError.outcomeFor(context.mutating, sent);
  }
}
