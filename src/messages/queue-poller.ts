import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import { alicomQueueName, type MessageType } from '../protocol/alicom-messages.js';
import type { ProviderReportsService } from '../routing/callbacks/provider-reports.service.js';
import type { ReportDeadLetters } from '../routing/callbacks/report-dead-letters.js';
import type { ReportSource } from '../routing/callbacks/report-source.js';
import { decodeMessageBody } from './message-body.js';
import type { MessageMetrics } from './message-metrics.js';
import { MnsError, type MnsQueueClient, type ReceivedMessage } from './mns-queue.client.js';
import type { QueueCredentials } from './queue-credentials.js';

export interface PollerSettings {
  accountUid: string;
  waitSeconds: number;
  maxAttempts: number;
}

export interface PollerDependencies {
  client: MnsQueueClient;
  credentials: QueueCredentials;
  reports: ProviderReportsService;
  deadLetters: ReportDeadLetters;
  metrics: MessageMetrics;
  logger: Logger;
  now: () => Date;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * One long-poll loop over one queue. A message is handed to the same ProviderReportsService as
 * HTTP pushes; it is deleted only after that committed (or after it was dead-lettered), so a
 * crash mid-message leaves it in the queue, to come back after the visibility timeout and be
 * applied once (the handlers are idempotent). A message whose handling keeps failing is
 * dead-lettered on its `maxAttempts`-th delivery and deleted. Polls stop at once on `stopping`;
 * a message being handled is finished first.
 */
export class QueuePoller {
  private readonly queue: string;

  constructor(
    private readonly type: MessageType & Parameters<ProviderReportsService['receive']>[0],
    private readonly settings: PollerSettings,
    private readonly deps: PollerDependencies,
  ) {
    this.queue = alicomQueueName(settings.accountUid, type);
  }

  async run(stopping: AbortSignal): Promise<void> {
    let failures = 0;
    while (!stopping.aborted) {
      try {
        const credential = await this.deps.credentials.get(this.type, stopping);
        const message = await this.deps.client.receive(
          this.queue,
          this.settings.waitSeconds,
          credential,
          stopping,
        );
        failures = 0;
        if (message) await this.process(message);
      } catch (error) {
        if (stopping.aborted) break;
        if (error instanceof MnsError && error.credentialProblem) {
          this.deps.credentials.invalidate(this.type);
        }
        failures += 1;
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 10));
        this.deps.logger.warn(
          `${this.type}: polling failed (${(error as Error).message}); again in ${delay} ms`,
        );
        await sleep(Math.floor(delay * (0.5 + Math.random() / 2)), undefined, {
          signal: stopping,
        }).catch(() => undefined);
      }
    }
  }

  /** Handles one message to the end; never aborted by shutdown (each call has its timeout). */
  private async process(message: ReceivedMessage): Promise<void> {
    const { metrics } = this.deps;
    const labels = { type: this.type };
    metrics.received.inc(labels);
    if (Number.isFinite(message.enqueueTime)) {
      metrics.lag.observe(labels, Math.max(0, Date.now() - message.enqueueTime) / 1000);
    }
    const source: ReportSource = {
      kind: 'queue',
      messageId: message.messageId,
      attempts: message.dequeueCount,
    };
    const decoded = decodeMessageBody(message.body);
    try {
      if (!decoded.ok) {
        await this.deadLetter(source, message.body, decoded.problem);
      } else {
        const receipt = await this.deps.reports.receive(this.type, [decoded.record], source);
        if (receipt.deadLettered > 0) metrics.deadLettered.inc(labels);
        else metrics.handled.inc(labels);
      }
    } catch (error) {
      metrics.failed.inc(labels);
      if (message.dequeueCount < this.settings.maxAttempts) {
        this.deps.logger.warn(
          `${this.type} message ${message.messageId} failed (delivery ${message.dequeueCount} of ` +
            `${this.settings.maxAttempts}): ${(error as Error).message}; it will come back`,
        );
        return;
      }
      await this.deadLetter(
        source,
        decoded.ok ? decoded.record : message.body,
        `failed ${message.dequeueCount} deliveries: ${(error as Error).message}`,
      );
    }
    await this.remove(message);
  }

  private async deadLetter(source: ReportSource, payload: unknown, reason: string) {
    await this.deps.deadLetters.add(this.type, source, [{ payload, reason }], this.deps.now());
    this.deps.metrics.deadLettered.inc({ type: this.type });
  }

  private async remove(message: ReceivedMessage, retry = true): Promise<void> {
    const never = new AbortController().signal;
    try {
      const credential = await this.deps.credentials.get(this.type, never);
      await this.deps.client.delete(this.queue, message.receiptHandle, credential, never);
    } catch (error) {
      if (retry && error instanceof MnsError && error.credentialProblem) {
        // The credential expired while the message was handled: renew it and delete once more.
        this.deps.credentials.invalidate(this.type);
        return this.remove(message, false);
      }
      // The message comes back after its visibility timeout and is then a duplicate (no change).
      this.deps.logger.warn(
        `${this.type} message ${message.messageId} handled but not deleted: ${(error as Error).message}`,
      );
    }
  }
}
