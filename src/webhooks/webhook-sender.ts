import { performance } from 'node:perf_hooks';
import { isIP } from 'node:net';
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { Agent, request } from 'undici';
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

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const refused = this.allowPrivate ? null : literalAddressProblem(url);
    if (refused)
      return {
        statusCode: null,
        response: null,
        retryAfter: undefined,
        error: refused,
        durationMs: 0,
      };
    try {
      const response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'axb-router-webhooks',
          ...headers,
        },
        body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      let text = '';
      try {
        for await (const chunk of response.body) {
          text += (chunk as Buffer).toString('utf8');
          if (text.length >= RESPONSE_EXCERPT) break;
        }
      } finally {
        response.body.destroy();
      }
      const retryAfter = response.headers['retry-after'];
      return {
        statusCode: response.statusCode,
        response: text.slice(0, RESPONSE_EXCERPT) || null,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        error: null,
        durationMs: elapsed(),
      };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const timedOut = name === 'TimeoutError' || /timeout/i.test(String(error));
      return {
        statusCode: null,
        response: null,
        retryAfter: undefined,
        error: timedOut
          ? `no answer within ${this.config.webhooks.timeoutMs} ms`
          : maskPhonesInText(
              `${name}: ${error instanceof Error ? error.message : String(error)}`,
            ).slice(0, 500),
        durationMs: elapsed(),
      };
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}

/** An address written in the URL is not looked up (no lookup to check it in): checked here. */
function literalAddressProblem(url: string): string | null {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return isIP(host) && isInternalAddress(host) ? privateAddressProblem(host, host) : null;
}
