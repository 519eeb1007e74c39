import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/** Socket error codes that mean no connection was made, so nothing was sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The connection failed: refused before sending, or reset/closed after the request went out. */
export class ProviderConnectionError extends ProviderError {
  /** The socket error code, e.g. ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET. */
  readonly errorCode: string;
  /** False when the connection was never established, so the request cannot have been sent. */
  readonly sent: boolean;
  readonly retryable = true;
  readonly outcome: ProviderOutcome;

  constructor(context: ProviderErrorContext, errorCode: string, cause?: unknown) {
    const sent = !NOT_CONNECTED.has(errorCode);
    super(context, `connection failed (${errorCode})${sent ? ' after sending' : ''}`, { cause });
    this.errorCode = errorCode;
    this.sent = sent;
    this.outcome = ProviderError.outcomeFor(context.mutating, sent);
  }
}
