/** One HTTP exchange with the provider, as reported to an observer. */
export interface ProviderCallEvent {
  action: string;
  mutating: boolean;
  /** 1-based attempt within the call. */
  attempt: number;
  durationMs: number;
  /** The provider's Code when a response carried one ("OK" on success), otherwise null. */
  code: string | null;
  outcome:
    | 'ok'
    | 'code-error'
    | 'http-error'
    | 'bad-response'
    | 'timeout'
    | 'connection-error'
    | 'aborted';
  /** True when the client will try this call again. */
  willRetry: boolean;
}

/**
 * A hook for metrics (counters, latency histograms) that does not touch the client. Called once
 * per attempt, synchronously; it must not throw (a throwing observer is logged and ignored).
 */
export interface ProviderCallObserver {
  onCall(event: ProviderCallEvent): void;
}

/** Optional injection token: provide it to attach an observer to the client. */
export const PROVIDER_CALL_OBSERVER = Symbol('PROVIDER_CALL_OBSERVER');
