import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Pool } from 'undici';
import { maskPhone } from '../../common/privacy/mask-phone.js';
import { ProviderAbortedError } from '../errors/provider-aborted.error.js';
import { ProviderBadResponseError } from '../errors/provider-bad-response.error.js';
import { ProviderCodeError } from '../errors/provider-code.error.js';
import { ProviderConnectionError } from '../errors/provider-connection.error.js';
import { ProviderHttpError } from '../errors/provider-http.error.js';
import { ProviderTimeoutError } from '../errors/provider-timeout.error.js';
import { ProviderError, type ProviderErrorContext } from '../errors/provider.error.js';
import type { ProviderCallEvent, ProviderCallObserver } from '../provider-call.observer.js';
import type { ProviderCallOptions } from '../provider.port.js';
import { isMutating, type DyplsapiAction } from './dyplsapi-actions.js';
import { DtoShapeError } from './dyplsapi-dto.mapper.js';
import { readEnvelope, type DyplsapiEnvelope } from './dyplsapi-envelope.js';
import {
  prepareRequest,
  type HttpMethod,
  type SignatureScheme,
} from './dyplsapi-request.builder.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './retry-backoff.js';

export interface DyplsapiTransportSettings {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  /** Timeout of one attempt, ms. */
  timeoutMs: number;
  /** Keep-alive connections in the pool. */
  connections: number;
  /** Retries of read-only actions after the first attempt. */
  readRetries: number;
  /** Form POST by default; GET is what the documentation's examples show. */
  method?: HttpMethod;
  /** V3 (ACS3-HMAC-SHA256) by default; 'rpc' for the older HMAC-SHA1 scheme. */
  signature?: SignatureScheme;
  backoff?: BackoffPolicy;
  observer?: ProviderCallObserver;
  /** Injected for tests: jitter source, clock, nonce source. */
  random?: () => number;
  now?: () => Date;
  nonce?: () => string;
}

/** Parameters whose values are phone numbers: masked whenever a call is logged. */
const PHONE_PARAMS = ['PhoneNoA', 'PhoneNoB', 'PhoneNoX', 'SecretNo', 'CallNo', 'BlackNo'] as const;

/** Marks an abort caused by our own per-attempt timer, as opposed to the caller's signal. */
class AttemptTimeout extends Error {}

interface Exchange {
  status: number;
  body: string;
}

/**
 * Signs, sends and reads Dyplsapi RPC calls over one keep-alive undici Pool, with a timeout on
 * every attempt. Read-only actions are retried on retryable failures with full-jitter backoff,
 * each retry freshly signed; mutating actions get exactly one attempt, because repeating a write
 * whose first attempt may have landed could create a second binding or number.
 */
export class DyplsapiTransport {
  private readonly logger = new Logger(DyplsapiTransport.name);
  private readonly pool: Pool;
  private readonly path: string;
  private readonly host: string;
  private readonly method: HttpMethod;
  private readonly scheme: SignatureScheme;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly now: () => Date;
  private readonly nonce: () => string;

  constructor(private readonly settings: DyplsapiTransportSettings) {
    const url = new URL(settings.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Provider endpoint must be http(s), got ${url.protocol}`);
    }
    this.path = url.pathname || '/';
    this.host = url.host;
    this.pool = new Pool(url.origin, {
      connections: settings.connections,
      pipelining: 1,
      // Backstops; the per-attempt timer below is what normally ends a slow attempt.
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connect: { timeout: settings.timeoutMs },
    });
    this.method = settings.method ?? 'POST';
    this.scheme = settings.signature ?? 'v3';
    this.backoff = settings.backoff ?? DEFAULT_BACKOFF;
    this.random = settings.random ?? Math.random;
    this.now = settings.now ?? (() => new Date());
    this.nonce = settings.nonce ?? randomUUID;
  }

  /** Runs one action; `map` turns the success envelope into the port's result. */
  async call<T>(
    action: DyplsapiAction,
    params: Readonly<Record<string, string | undefined>>,
    options: ProviderCallOptions,
    map: (body: DyplsapiEnvelope) => T,
  ): Promise<T> {
    const mutating = isMutating(action);
    const retries = mutating ? 0 : Math.max(0, options.retries ?? this.settings.readRetries);
    const timeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      const ctx: ProviderErrorContext = {
        action,
        mutating,
        attempt,
        callerRequestId: options.requestId,
      };
      const started = performance.now();
      let attemptResult:
        | { ok: true; value: T; code: string; requestId?: string }
        | { ok: false; error: ProviderError };
      try {
        const res = await this.exchange(ctx, params, timeoutMs, options.signal);
        attemptResult = { ok: true, ...this.interpret(ctx, res, map) };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        attemptResult = { ok: false, error: err };
      }
      const durationMs = Math.round(performance.now() - started);
      if (attemptResult.ok) {
        const { value, code, requestId } = attemptResult;
        this.report(ctx, params, durationMs, code, requestId, 'ok', false);
        return value;
      }
      const { error } = attemptResult;
      const willRetry = error.retryable && attempt <= retries && !options.signal?.aborted;
      this.report(
        ctx,
        params,
        durationMs,
        error instanceof ProviderCodeError ? error.code : null,
        error.requestId,
        outcomeOf(error),
        willRetry,
        error,
      );
      if (!willRetry) throw error;
      await this.pause(backoffDelayMs(attempt, this.backoff, this.random), ctx, options.signal);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async exchange(
    ctx: ProviderErrorContext,
    actionParams: Readonly<Record<string, string | undefined>>,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<Exchange> {
    if (callerSignal?.aborted) throw new ProviderAbortedError(ctx, false, callerSignal.reason);
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new AttemptTimeout()), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timer.signal]) : timer.signal;
    // Fresh nonce and timestamp per attempt: the provider refuses a reused nonce.
    const prepared = prepareRequest({
      scheme: this.scheme,
      method: this.method,
      host: this.host,
      path: this.path,
      action: ctx.action as DyplsapiAction,
      params: actionParams,
      accessKeyId: this.settings.accessKeyId,
      accessKeySecret: this.settings.accessKeySecret,
      regionId: this.settings.regionId,
      nonce: this.nonce(),
      now: this.now(),
    });
    try {
      const res = await this.pool.request({
        method: prepared.method,
        path: prepared.path,
        headers: prepared.headers,
        body: prepared.body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return { status: res.statusCode, body: await res.body.text() };
    } catch (err) {
      if (signal.aborted) {
        if (signal.reason instanceof AttemptTimeout) {
          throw new ProviderTimeoutError(ctx, timeoutMs, err);
        }
        throw new ProviderAbortedError(ctx, true, signal.reason);
      }
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new ProviderTimeoutError(ctx, timeoutMs, err);
      }
      throw new ProviderConnectionError(
        ctx,
        typeof code === 'string' ? code : (err as Error).name,
        err,
      );
    } finally {
      clearTimeout(timeout);
    }
  }

  private interpret<T>(
    ctx: ProviderErrorContext,
    res: Exchange,
    map: (body: DyplsapiEnvelope) => T,
  ): { value: T; code: string; requestId?: string } {
    const verdict = readEnvelope(res.status, res.body);
    const bad = { status: res.status, body: res.body };
    switch (verdict.kind) {
      case 'code':
        throw new ProviderCodeError(ctx, { ...verdict, httpStatus: res.status });
      case 'http':
        throw new ProviderHttpError(ctx, res.status, verdict.requestId);
      case 'not-json':
        throw new ProviderBadResponseError(ctx, {
          ...bad,
          reason: 'not-json',
          detail: verdict.detail,
        });
      case 'no-code':
        throw new ProviderBadResponseError(ctx, {
          ...bad,
          reason: 'missing-code',
          requestId: verdict.requestId,
        });
      case 'ok':
        try {
          return { value: map(verdict.body), code: 'OK', requestId: verdict.requestId };
        } catch (err) {
          if (!(err instanceof DtoShapeError)) throw err;
          throw new ProviderBadResponseError(ctx, {
            ...bad,
            reason: err.reason,
            detail: err.message,
            requestId: verdict.requestId,
          });
        }
    }
  }

  private async pause(ms: number, ctx: ProviderErrorContext, signal?: AbortSignal): Promise<void> {
    try {
      await delay(ms, undefined, { signal });
    } catch {
      // Only read-only actions pause, and nothing is in flight between attempts.
      throw new ProviderAbortedError(ctx, false, signal?.reason);
    }
  }

  /** One debug line and one observer event per attempt; phone numbers only masked. */
  private report(
    ctx: ProviderErrorContext,
    params: Readonly<Record<string, string | undefined>>,
    durationMs: number,
    code: string | null,
    providerRequestId: string | undefined,
    outcome: ProviderCallEvent['outcome'],
    willRetry: boolean,
    error?: ProviderError,
  ): void {
    const numbers = PHONE_PARAMS.filter((p) => params[p])
      .map((p) => `${p}=${maskPhone(params[p])}`)
      .join(' ');
    const parts = [
      `${ctx.action} #${ctx.attempt}`,
      code ?? error?.name ?? outcome,
      `${durationMs}ms`,
      providerRequestId ? `RequestId=${providerRequestId}` : '',
      ctx.callerRequestId ? `requestId=${ctx.callerRequestId}` : '',
      numbers,
      error && !(error instanceof ProviderCodeError) ? `(${error.message})` : '',
      error ? `outcome=${error.outcome}` : '',
      willRetry ? 'retrying' : '',
    ];
    this.logger.debug(parts.filter(Boolean).join(' '));
    const observer = this.settings.observer;
    if (!observer) return;
    try {
      observer.onCall({
        action: ctx.action,
        mutating: ctx.mutating,
        attempt: ctx.attempt,
        durationMs,
        code,
        outcome,
        willRetry,
      });
    } catch (err) {
      this.logger.warn(`Provider call observer failed: ${(err as Error).message}`);
    }
  }
}

function outcomeOf(error: ProviderError): ProviderCallEvent['outcome'] {
  if (error instanceof ProviderCodeError) return 'code-error';
  if (error instanceof ProviderHttpError) return 'http-error';
  if (error instanceof ProviderBadResponseError) return 'bad-response';
  if (error instanceof ProviderTimeoutError) return 'timeout';
  if (error instanceof ProviderAbortedError) return 'aborted';
  return 'connection-error';
}
