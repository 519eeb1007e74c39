import { maskPhonesInText } from '../../common/privacy/mask-phone.js';
import { classifyProviderCode, type ProviderCodeKind } from './provider-error-codes.js';
import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/** The provider answered with a Code other than OK. */
export class ProviderCodeError extends ProviderError {
  readonly code: string;
  /** The provider's Message, unchanged (may be Chinese; may echo a number, so never logged raw). */
  readonly providerMessage: string;
  readonly kind: ProviderCodeKind;
  readonly retryable: boolean;
  readonly outcome: ProviderOutcome;
  readonly httpStatus: number;

  constructor(
    context: ProviderErrorContext,
    response: { code: string; message: string; requestId?: string; httpStatus: number },
  ) {
    super(
      context,
      `provider answered ${response.code}: ${maskPhonesInText(response.message)}` +
        (response.requestId ? ` (RequestId ${response.requestId})` : ''),
      { requestId: response.requestId },
    );
    const cls = classifyProviderCode(response.code);
    this.code = response.code;
    this.providerMessage = response.message;
    this.kind = cls.kind;
    this.retryable = cls.retryable;
    this.outcome = ProviderError.outcomeFor(context.mutating, cls.maybeApplied);
    this.httpStatus = response.httpStatus;
  }
}
