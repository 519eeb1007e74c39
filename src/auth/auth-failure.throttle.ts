import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

interface Window {
  /** When this address's current window began, ms. */
  start: number;
  failures: number;
  /** Requests refused in this window while throttled. */
  refused: number;
}

/** The most addresses tracked at once (beyond, the table starts afresh: a bound on memory). */
const MAX_ADDRESSES = 100_000;

/**
 * Failed authentications per client address (a bad API key, a bad console sign-in, an ended
 * session): after AUTH_FAILURES_PER_ADDRESS of them within AUTH_FAILURE_WINDOW_SECONDS, the
 * address's requests are refused with 429 AUTH_THROTTLED until the window ends — before any
 * credential is looked up, so guessing keys costs the database nothing. A throttled address gets
 * one log line per window (with how many requests the previous one refused), not one per
 * attempt. Per instance; the address is Fastify's `request.ip`, which believes forwarded headers
 * only from TRUSTED_PROXIES.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly logger = new Logger(AuthFailureThrottle.name);
  private readonly windows = new Map<string, Window>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.limit = config.auth.failuresPerAddress;
    this.windowMs = config.auth.failureWindowSeconds * 1000;
  }

  /** Seconds until `address` may authenticate again; 0 when it may now. */
  retryAfter(address: string): number {
    const now = this.clock.now().getTime();
    const window = this.current(address, now);
    if (!window || window.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
  }

  /**
   * 429 AUTH_THROTTLED with Retry-After, for a request of a throttled address; counted for the
   * window's summary line, its own log line left out.
   */
  refusal(request: FastifyRequest, reply: FastifyReply, seconds: number): DomainError {
    const window = this.windows.get(request.ip);
    if (window) window.refused += 1;
    request.unlogged = true;
    void reply.header('retry-after', String(seconds));
    return new DomainError(
      'AUTH_THROTTLED',
      `Too many failed authentications from this address; retry in ${seconds} s`,
      429,
      { retryAfterSeconds: seconds },
    );
  }

  /** Counts a failed authentication of `address`; says so once when it becomes throttled. */
  fail(address: string): void {
    const now = this.clock.now().getTime();
    let window = this.current(address, now);
    if (!window) {
      if (this.windows.size >= MAX_ADDRESSES) this.windows.clear();
      window = { start: now, failures: 0, refused: 0 };
      this.windows.set(address, window);
    }
    window.failures += 1;
    if (window.failures === this.limit) {
      this.logger.warn(
        `${address}: ${this.limit} failed authentications within ${this.windowMs / 1000} s; ` +
          `its requests are refused (429 AUTH_THROTTLED) until the window ends`,
      );
    }
  }

  /** The address's window if it is still running (an ended one is dropped, its refusals told). */
  private current(address: string, now: number): Window | undefined {
    const window = this.windows.get(address);
    if (!window || now - window.start < this.windowMs) return window;
    this.windows.delete(address);
    if (window.refused > 0) {
      this.logger.warn(
        `${address}: ${window.refused} request(s) refused while throttled for failed authentications`,
      );
    }
    return undefined;
  }
}
