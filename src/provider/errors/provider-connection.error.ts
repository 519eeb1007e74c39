import {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';

/**
 * Error codes that mean the request never left this process: no connection was made, or the
 * client was already closing (undici's ClientClosedError, UND_ERR_CLOSED: it refuses new requests
 * once close() began, while it lets the ones in flight finish).
 */
const NOT_CONNECTED = new Set([
  'UND_ERR_CLOSED',
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
