/**
 * What happened to the provider-side state when a call failed:
 * - 'not-applied': the provider certainly did not act on it (refused, never sent, or read-only);
 * - 'unknown': a mutating request may have taken effect (timeout or reset after sending, provider
 *   internal error). The caller must reconcile, never assume either way.
 */
export type ProviderOutcome = 'not-applied' | 'unknown';

/** Where and when a failure happened; every provider error carries it. */
export interface ProviderErrorContext {
  /** Dyplsapi action name, e.g. BindAxb. */
  action: string;
  /** True for actions that change provider state. */
  mutating: boolean;
  /** 1-based attempt that produced this error (the number of attempts made when it surfaces). */
  attempt: number;
  /** The caller's correlation id, if it gave one. */
  callerRequestId?: string;
}

/** Base of every failure the provider client reports. Catch this, then narrow by subclass. */
export abstract class ProviderError extends Error {
  readonly action: string;
  readonly mutating: boolean;
  readonly attempt: number;
  readonly callerRequestId?: string;
  /** The provider's RequestId, when a response carried one. */
  readonly requestId?: string;
  /** Whether trying again later can succeed. For mutating actions, check `outcome` first. */
  abstract readonly retryable: boolean;
  abstract readonly outcome: ProviderOutcome;

  protected constructor(
    context: ProviderErrorContext,
    message: string,
    options?: { cause?: unknown; requestId?: string },
  ) {
    super(`${context.action}: ${message}`, { cause: options?.cause });
    this.name = new.target.name;
    this.action = context.action;
    this.mutating = context.mutating;
    this.attempt = context.attempt;
    this.callerRequestId = context.callerRequestId;
    this.requestId = options?.requestId;
  }

  /** Shared rule: a failure that may have reached the provider leaves a write's outcome open. */
  protected static outcomeFor(mutating: boolean, maybeApplied: boolean): ProviderOutcome {
    return mutating && maybeApplied ? 'unknown' : 'not-applied';
  }
}
