import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import type { CallTranscript } from '../generated/prisma/client.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { providerFailure } from '../provider/provider-failure.js';
import { PROVIDER, type ProviderPort } from '../provider/provider.port.js';
import type { AsrSentence } from '../protocol/secret-asr.js';
import { TranscriptNotReadyError } from './call-media.errors.js';
import { CallMediaRepository } from './call-media.repository.js';
import { CallTranscriptsRepository } from './call-transcripts.repository.js';

export const TRANSCRIPT_ROUTE = 'GET /v1/calls/:callId/transcript';

/** A call's transcript as the API answers it. */
export interface TranscriptView {
  callId: string;
  /** message (SecretAsrReport) or query (GetSecretAsrDetail, asked for before the message came). */
  source: string;
  /** 21050000 when recognition succeeded. */
  statusCode: string | null;
  bizDurationMs: number | null;
  receivedAt: string;
  sentences: AsrSentence[];
}

/**
 * What was said on a recorded call whose binding had ASR on (GET /v1/calls/{callId}/transcript):
 * the stored transcript (a SecretAsrReport message, consumed from MNS), or, when none came yet,
 * GetSecretAsrDetail asked now and stored. 404 TRANSCRIPT_NOT_READY while there is none. Every
 * read is written to access_log (who, when, which call).
 */
@Injectable()
export class TranscriptsService {
  constructor(
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly calls: CallMediaRepository,
    private readonly transcripts: CallTranscriptsRepository,
  ) {}

  async get(callId: string, context: RequestContext): Promise<TranscriptView> {
    const call = await this.calls.find(callId);
    const stored = await this.transcripts.find(callId);
    if (!call && !stored) throw new NotFoundError('Call', { callId });
    const transcript = stored ?? (await this.fetch(callId, call!, context));
    if (call) {
      await this.calls.recordAccess(call, {
        actor: context.actor,
        route: TRANSCRIPT_ROUTE,
        requestId: context.requestId,
        at: this.clock.now(),
      });
    }
    return toView(transcript);
  }

  private async fetch(
    callId: string,
    call: NonNullable<Awaited<ReturnType<CallMediaRepository['find']>>>,
    context: RequestContext,
  ): Promise<CallTranscript> {
    if (!call.recordingReady || !call.poolKey || !call.callTime) {
      throw new TranscriptNotReadyError(callId, 'no recording of this call is ready (yet)');
    }
    let detail;
    try {
      detail = await this.provider.getSecretAsrDetail(
        { poolKey: call.poolKey, callId, callTime: call.callTime },
        { requestId: context.requestId },
      );
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error instanceof ProviderCodeError && error.kind === 'invalid-argument') {
        throw new TranscriptNotReadyError(
          callId,
          `the provider has no transcript of it (ASR off, or not done yet: ${error.code})`,
        );
      }
      throw providerFailure(error, { callId });
    }
    await this.transcripts.store(
      [
        {
          callId,
          poolKey: call.poolKey,
          secretNo: null,
          statusCode: detail.statusCode,
          bizDurationMs: detail.bizDurationMs,
          sentences: detail.sentences,
          source: 'query',
        },
      ],
      this.clock.now(),
    );
    // A message stored at the same moment wins; either way this is the call's transcript now.
    return (await this.transcripts.find(callId))!;
  }
}

function toView(t: CallTranscript): TranscriptView {
  return {
    callId: t.callId,
    source: t.source,
    statusCode: t.statusCode,
    bizDurationMs: t.bizDurationMs,
    receivedAt: t.receivedAt.toISOString(),
    sentences: t.sentences as unknown as AsrSentence[],
  };
}
