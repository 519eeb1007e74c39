import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MessageConsumerService } from '../messages/message-consumer.service.js';
import { RoutedCountsWriter } from '../routing/routed-counts.writer.js';
import { RoutingAccessWriter } from '../routing/routing-access.writer.js';
import { JobRegistration } from '../scheduler/job-registration.js';
import { WebhookDeliveryRunner } from '../webhooks/webhook-delivery.runner.js';
import { Lifecycle } from './lifecycle.js';

/** The connection closes after this response (the client must not send another on it). */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
}

/**
 * The one owner of the shutdown sequence (SIGTERM/SIGINT in main.ts; TestApp.close in tests).
 * Nest's own `app.close()` destroys providers (the provider client, the database pool) before its
 * HTTP adapter stops, so requests in flight would meet closed clients; here the order is explicit:
 *
 * 1. readiness answers 503 at once (Lifecycle), so load balancers stop sending;
 * 2. the listener closes: no new connection is accepted. Open keep-alive connections are not cut
 *    (a client may be writing its next request on one right now, and would see a reset); every
 *    response from now on says `Connection: close`, so each carries at most one more request and
 *    is closed by us after its answer. Those still idle when the drain ends are closed then;
 * 3. scheduled jobs, the MNS consumer and webhook delivery are told to stop (no new pass, no new
 *    poll, no new try; the binding, message or delivery in hand is finished);
 * 4. requests in flight finish, for at most SHUTDOWN_DRAIN_TIMEOUT_MS; connections still busy
 *    then are closed (logged with their number);
 * 5. the jobs, the consumer and the deliveries in hand are waited for, routing decisions counted
 *    are written;
 * 6. only then `app.close()`: the provider client and the database pool close (their hooks find
 *    nothing left running), and what main.ts started (embedded Postgres, the simulator) stops.
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private app: NestFastifyApplication | undefined;
  private server: Server | undefined;
  /** Responses not yet finished: the requests in flight. */
  private readonly open = new Set<ServerResponse>();
  private readonly idleWaiters = new Set<() => void>();
  private sequence: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** Requests in flight now (answered ones are not counted). */
  get requestsInFlight(): number {
    return this.open.size;
  }

  /** Counts requests in flight on the app's HTTP server (before it listens). */
  attach(app: NestFastifyApplication): void {
    this.app = app;
    this.server = app.getHttpAdapter().getInstance().server;
    this.server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
      this.open.add(response);
      if (this.lifecycle.draining) closeAfter(response);
      response.once('close', () => {
        this.open.delete(response);
        if (this.open.size === 0) for (const wake of this.idleWaiters) wake();
      });
    });
  }

  /** Runs the sequence once; later calls get the same promise. */
  run(reason: string): Promise<void> {
    this.sequence ??= this.shutDown(reason);
    return this.sequence;
  }

  private async shutDown(reason: string): Promise<void> {
    const app = this.app;
    if (!app) throw new Error('GracefulShutdown.attach(app) was not called');
    const started = performance.now();
    const drainMs = this.config.shutdown.drainTimeoutMs;
    this.lifecycle.beginShutdown();
    // Requests already running answer with `Connection: close` too: otherwise their client would
    // send its next request on that connection just as the drain ends and idle ones are closed.
    for (const response of this.open) closeAfter(response);
    // net.Server's close, not http.Server's: the latter also cuts idle keep-alive connections.
    if (this.server?.listening) net.Server.prototype.close.call(this.server);
    this.logger.log(
      `${reason}: shutting down; readiness 503, listener closed, ${this.open.size} request(s) ` +
        `in flight get up to ${drainMs} ms`,
    );
    const jobs = app.get(JobRegistration, { strict: false });
    const consumer = app.get(MessageConsumerService, { strict: false });
    const webhooks = app.get(WebhookDeliveryRunner, { strict: false });
    const background = Promise.allSettled([jobs.stop(), consumer.stop(), webhooks.stop()]);

    if (await this.drained(drainMs)) {
      this.server?.closeIdleConnections();
    } else {
      this.logger.warn(
        `${this.open.size} request(s) still running after ${drainMs} ms: closing their connections`,
      );
      this.server?.closeAllConnections();
    }
    for (const result of await background) {
      if (result.status === 'rejected') {
        this.logger.error(`Stopping background work failed: ${String(result.reason)}`);
      }
    }
    await Promise.all([
      app.get(RoutedCountsWriter, { strict: false }).finish(),
      app.get(RoutingAccessWriter, { strict: false }).finish(),
    ]);
    await app.close();
    this.logger.log(`Shut down in ${Math.round(performance.now() - started)} ms`);
  }

  /** True once no request is in flight; false when `ms` pass first. */
  private drained(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(value);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.idleWaiters.add(wake);
    });
  }
}
