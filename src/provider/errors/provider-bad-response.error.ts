import { maskPhonesInText } from '../../common/privacy/mask-phone.js';
import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

export type BadResponseReason = 'not-json' | 'missing-code' | 'missing-dto' | 'invalid-dto';

/** A body that is not JSON, or a success envelope without the DTO the action promises. */
export class ProviderBadResponseError extends ProviderError {
  readonly reason: BadResponseReason;
  readonly status: number;
  /** The start of the body with digit runs masked, for diagnosis. */
  readonly bodySnippet: string;
  readonly retryable: boolean;
  readonly outcome: ProviderOutcome;

  constructor(
    context: ProviderErrorContext,
    details: {
      reason: BadResponseReason;
      status: number;
      body: string;
      detail?: string;
      requestId?: string;
    },
  ) {
    // Bodies and JSON.parse messages quote the response, which may hold phone numbers.
    const snippet = maskPhonesInText(details.body.slice(0, 200));
    super(
      context,
      `bad provider response (${details.reason}, HTTP ${details.status})` +
        (details.detail ? `: ${maskPhonesInText(details.detail)}` : ''),
      { requestId: details.requestId },
    );
    this.reason = details.reason;
    this.status = details.status;
    this.bodySnippet = snippet;
    // A garbled 5xx (HTML from a gateway) is transient; a garbled 2xx or a DTO mismatch is not.
    this.retryable =
      details.reason === 'not-json' && (details.status >= 500 || details.status === 429);
    // Only a 4xx proves the request was refused; a 2xx without a readable DTO may have succeeded.
    this.outcome = ProviderError.outcomeFor(
      context.mutating,
      details.status < 400 || details.status >= 500,
    );
  }
}
