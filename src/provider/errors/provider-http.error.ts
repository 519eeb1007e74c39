import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/** An HTTP error status with a JSON body that carries no Code (a gateway or proxy answered). */
export class ProviderHttpError extends ProviderError {
  readonly status: number;
  readonly retryable: boolean;
  readonly outcome: ProviderOutcome;

  constructor(context: ProviderErrorContext, status: number, requestId?: string) {
    super(context, `HTTP ${status} without a provider Code`, { requestId });
    this.status = status;
    this.retryable = status >= 500 || status === 429 || status === 408;
    // A 5xx may come from a proxy after the provider acted; a 4xx was refused before acting.
    this.outcome = ProviderError.outcomeFor(context.mutating, status >= 500);
  }
}
