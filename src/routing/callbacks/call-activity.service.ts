import { Injectable } from '@nestjs/common';
import {
  CallTranscriptsRepository,
  type TranscriptInput,
} from '../../calls/call-transcripts.repository.js';
import { Clock } from '../../common/clock/clock.js';
import { parseSecretAsrReport } from '../../protocol/alicom-messages.js';
import { CallActivityRepository } from './call-activity.repository.js';
import {
  parseCallProgress,
  PROGRESS_STAGES,
  type CallProgressInput,
} from './call-progress.parser.js';
import { parseCallRecording, type CallRecordingInput } from './call-recording.parser.js';
import { ReportDeadLetters, type Unstorable } from './report-dead-letters.js';
import { corruptTextAt } from './report-fields.js';
import { emptyReceipt, type ReportReceipt, type ReportSource } from './report-source.js';

export type ProgressType = keyof typeof PROGRESS_STAGES;

/**
 * Call progress (SecretStartReport, SecretRingReport, SecretPickUpReport) becomes one
 * `call_progress` row per call and stage, and a `call_progress` event on the binding; a
 * recording (SecretRecording) marks the call record `recordingReadyAt`, whichever arrives first;
 * a transcript (SecretAsrReport) is stored once per call (src/calls).
 */
@Injectable()
export class CallActivityService {
  constructor(
    private readonly clock: Clock,
    private readonly activity: CallActivityRepository,
    private readonly deadLetters: ReportDeadLetters,
    private readonly transcripts: CallTranscriptsRepository,
  ) {}

  async receiveProgress(
    type: ProgressType,
    items: readonly unknown[],
    source: ReportSource,
  ): Promise<ReportReceipt> {
    const receivedAt = this.clock.now();
    const valid: CallProgressInput[] = [];
    const failures: Unstorable[] = [];
    for (const item of items) {
      const parsed = parseCallProgress(item, PROGRESS_STAGES[type], receivedAt);
      if (parsed.ok) valid.push(parsed.value);
      else failures.push({ payload: item, reason: parsed.problem });
    }
    const stored = await this.activity.storeProgress(valid, receivedAt);
    return this.finish(type, source, items.length, stored, failures, receivedAt);
  }

  async receiveRecordings(items: readonly unknown[], source: ReportSource): Promise<ReportReceipt> {
    const receivedAt = this.clock.now();
    const valid: CallRecordingInput[] = [];
    const failures: Unstorable[] = [];
    for (const item of items) {
      const parsed = parseCallRecording(item, receivedAt);
      if (parsed.ok) valid.push(parsed.value);
      else failures.push({ payload: item, reason: parsed.problem });
    }
    const stored = await this.activity.storeRecordings(valid, receivedAt);
    return this.finish('SecretRecording', source, items.length, stored, failures, receivedAt);
  }

  async receiveTranscripts(
    items: readonly unknown[],
    source: ReportSource,
  ): Promise<ReportReceipt> {
    const receivedAt = this.clock.now();
    const valid: TranscriptInput[] = [];
    const failures: Unstorable[] = [];
    for (const item of items) {
      // The one policy of report-fields.ts: text the database cannot hold is not stored altered.
      const corrupt = corruptTextAt(item);
      const parsed = corrupt ? { ok: false as const, reason: corrupt } : parseSecretAsrReport(item);
      if (parsed.ok) valid.push({ ...parsed.report, source: 'message' });
      else failures.push({ payload: item, reason: parsed.reason });
    }
    const stored = await this.transcripts.store(valid, receivedAt);
    return this.finish('SecretAsrReport', source, items.length, stored, failures, receivedAt);
  }

  private async finish(
    type: string,
    source: ReportSource,
    received: number,
    stored: number,
    failures: Unstorable[],
    receivedAt: Date,
  ): Promise<ReportReceipt> {
    const receipt = emptyReceipt(received);
    receipt.stored = stored;
    receipt.deadLettered = failures.length;
    receipt.duplicates = received - stored - failures.length;
    await this.deadLetters.add(type, source, failures, receivedAt);
    this.deadLetters.count(type, source, receipt);
    return receipt;
  }
}
