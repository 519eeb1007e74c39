import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/** No complete answer within the attempt's timeout. */
export class ProviderTimeoutError extends ProviderError {
  readonly timeoutMs: number;
  readonly retryable = true;
  readonly outcome: ProviderOutcome;

  constructor(context: ProviderErrorContext, timeoutMs: number, cause?: unknown) {
    super(context, `no answer within ${timeoutMs} ms`, { cause });
    this.timeoutMs = timeoutMs;
    // We cannot tell whether the request reached the provider, so a write stays open.
    this.outcome = ProviderError.outcomeFor(context.mutating, true);
  }
}
