import { performance } from 'node:perf_hooks';
import { isIP } from 'node:net';
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { Agent, type Dispatcher } from 'undici';
import { maskPhonesInText } from '../common/privacy/mask-phone.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  isInternalAddress,
  privateAddressProblem,
  publicOnlyLookup,
  systemResolver,
  WEBHOOK_HOST_RESOLVER,
  type HostResolver,
} from './endpoint-url.policy.js';

/** What a receiver answered to one POST (or why there was no answer). */
export interface SendResult {
  statusCode: number | null;
  /** The answer's first characters (for the deliveries list). */
  response: string | null;
  retryAfter: string | undefined;
  error: string | null;
  durationMs: number;
}

const RESPONSE_EXCERPT = 500;

/** Every request's headers beside its webhook-* ones (the caller's header object has them). */
export const WEBHOOK_REQUEST_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'axb-router-webhooks',
} as const;

/** URLs whose parse is kept (an endpoint has one; past this the map starts over). */
const TARGETS_KEPT = 1024;

interface Target {
  origin: string;
  path: string;
  /** Why no request is made to it (a private address written in the URL), else null. */
  refused: string | null;
}

/**
 * One POST's exchange, on undici's dispatch interface: the status, the first characters of the
 * answer and its Retry-After, settled once (answer, error or timeout). Through `request()` each try
 * also made a response stream, its async iterator, an AbortSignal with its timer and listeners:
 * about a third of what a try cost the service's thread beside the socket's own work.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode: number | null = null;
  private retryAfter: string | undefined;
  private text = '';
  private done = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly resolve: (result: SendResult) => void,
  ) {
    // Everything (connect, headers, body) within the timeout: then the try is over, and the
    // request is aborted (at its start when it has not started yet).
    this.timer = setTimeout(() => this.fail(null), timeoutMs);
    this.timer.unref();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.done) controller.abort(new Error('webhook try over'));
    else this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    this.text += chunk.toString('utf8');
    // The excerpt is all that is kept: the rest is not waited for (the connection goes).
    if (this.text.length >= RESPONSE_EXCERPT) {
      this.answer();
      controller.abort(new Error('webhook answer read'));
    }
  }

  onResponseEnd(): void {
    this.answer();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.fail(error);
  }

  private answer(): void {
    if (this.settle())
      this.resolve({
        statusCode: this.statusCode,
        response: this.text.slice(0, RESPONSE_EXCERPT) || null,
        retryAfter: this.retryAfter,
        error: null,
        durationMs: this.elapsed(),
      });
  }

  /** `error` null: the timeout. */
  private fail(error: Error | null): void {
    if (!this.settle()) return;
    this.controller?.abort(new Error('webhook try over'));
    const timedOut =
      error === null || error.name === 'TimeoutError' || /timeout/i.test(String(error));
    this.resolve({
      statusCode: null,
      response: null,
      retryAfter: undefined,
      error: timedOut
        ? `no answer within ${this.timeoutMs} ms`
        : maskPhonesInText(`${error.name}: ${error.message}`).slice(0, 500),
      durationMs: this.elapsed(),
    });
  }

  /** True the first time: the exchange is over (its timer cleared). */
  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    return true;
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}

/**
 * POSTs one signed event. Everything is bounded by WEBHOOKS_TIMEOUT_MS (connect, headers, body):
 * a receiver that hangs costs one try, not a worker. Redirects are not followed (a 3xx is a
 * failure, as in the spec's reference senders). Unless WEBHOOKS_ALLOW_PRIVATE_URLS=true, every
 * connection goes to an address checked when it is made: a host name that resolves inside the
 * network at delivery time (DNS rebinding after its check at registration) fails the try.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  private readonly agent: Agent;
  private readonly allowPrivate: boolean;
  /** Endpoints' URLs parsed once (each try parsed its URL again). */
  private readonly targets = new Map<string, Target>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(WEBHOOK_HOST_RESOLVER) resolve: HostResolver | null = null,
  ) {
    const timeout = config.webhooks.timeoutMs;
    this.allowPrivate = config.webhooks.allowPrivateUrls === true;
    this.agent = new Agent({
      connect: this.allowPrivate
        ? { timeout }
        : { timeout, lookup: publicOnlyLookup(resolve ?? systemResolver) },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 4000,
    });
  }

  /** `headers`: the request's own (webhook-*) and WEBHOOK_REQUEST_HEADERS. */
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const target = this.target(url);
    if (target.refused)
      return Promise.resolve({
        statusCode: null,
        response: null,
        retryAfter: undefined,
        error: target.refused,
        durationMs: 0,
      });
    return new Promise((resolve) => {
      const exchange = new Exchange(this.config.webhooks.timeoutMs, resolve);
      try {
        this.agent.dispatch(
          { origin: target.origin, path: target.path, method: 'POST', headers, body },
          exchange,
        );
      } catch (error) {
        exchange.onResponseError(
          undefined,
          error instanceof Error ? error : new Error(String(error)),
        );
      }
    });
  }

  /** A URL's origin and path (and, without private URLs allowed, its literal address's check). */
  private target(url: string): Target {
    let target = this.targets.get(url);
    if (!target) {
      if (this.targets.size >= TARGETS_KEPT) this.targets.clear();
      const parsed = new URL(url);
      target = {
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
        refused: this.allowPrivate ? null : literalAddressProblem(parsed),
      };
      this.targets.set(url, target);
    }
    return target;
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}

/** An address written in the URL is not looked up (no lookup to check it in): checked here. */
function literalAddressProblem(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) && isInternalAddress(host) ? privateAddressProblem(host, host) : null;
}
