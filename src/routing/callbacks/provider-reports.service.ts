import { Injectable } from '@nestjs/common';
import type { MessageType } from '../../protocol/alicom-messages.js';
import { CallActivityService } from './call-activity.service.js';
import { CallRecordsService } from './call-records.service.js';
import { NumberHealthService } from './number-health.service.js';
import type { ReportReceipt, ReportSource } from './report-source.js';

/** The message types the service understands. */
export const HANDLED_MESSAGE_TYPES = [
  'SecretReport',
  'SecretExceptionPhoneReport',
  'SecretRecording',
  'SecretStartReport',
  'SecretRingReport',
  'SecretPickUpReport',
  'SecretAsrReport',
] as const satisfies readonly MessageType[];

export type HandledMessageType = (typeof HANDLED_MESSAGE_TYPES)[number];

/**
 * The one entry for provider reports, whichever way they arrive: the HTTP push controller and
 * the MNS message consumer both hand their records here. Idempotent per record (a redelivery
 * stores nothing new); rejects only on failures worth delivering again (the database).
 */
@Injectable()
export class ProviderReportsService {
  private readonly handlers: Record<
    HandledMessageType,
    (items: readonly unknown[], source: ReportSource) => Promise<ReportReceipt>
  >;

  constructor(
    calls: CallRecordsService,
    health: NumberHealthService,
    activity: CallActivityService,
  ) {
    this.handlers = {
      SecretReport: (items, source) => calls.receive(items, source),
      SecretExceptionPhoneReport: (items, source) => health.receive(items, source),
      SecretRecording: (items, source) => activity.receiveRecordings(items, source),
      SecretStartReport: (items, source) =>
        activity.receiveProgress('SecretStartReport', items, source),
      SecretRingReport: (items, source) =>
        activity.receiveProgress('SecretRingReport', items, source),
      SecretPickUpReport: (items, source) =>
        activity.receiveProgress('SecretPickUpReport', items, source),
      SecretAsrReport: (items, source) => activity.receiveTranscripts(items, source),
    };
  }

  receive(
    type: HandledMessageType,
    items: readonly unknown[],
    source: ReportSource,
  ): Promise<ReportReceipt> {
    return this.handlers[type](items, source);
  }
}
