import { Controller, Get, Param, Res, type PipeTransform } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '../auth/roles.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { RecordingsService } from './recordings.service.js';
import { TranscriptsService, type TranscriptView } from './transcripts.service.js';

/** A provider call id: up to 100 characters (Alibaba), no separators or spaces. */
const CALL_ID = /^[A-Za-z0-9_.:@!-]{1,100}$/;

const callIdPipe: PipeTransform<string, string> = {
  transform(value: string): string {
    if (!CALL_ID.test(value)) {
      throw validationFailed('callId', 'must be 1-100 characters of A-Z a-z 0-9 _ . : @ ! -');
    }
    return value;
  },
};

/**
 * Calls' recordings and transcripts for the safety team (admin or safety keys). Both hold what
 * people said: every answer is recorded in access_log and never cached by the client.
 */
@ApiTags('calls')
@Roles('admin', 'safety')
@ApiErrors(400, 404, 502, 504)
@Controller('v1/calls')
export class CallsController {
  constructor(
    private readonly recordings: RecordingsService,
    private readonly transcripts: TranscriptsService,
  ) {}

  /**
   * `{url, expiresAt}`: a download link of the call's recording (the provider's, valid 2 hours;
   * the same link until shortly before it expires). 404 RECORDING_NOT_READY until the provider
   * said the recording is ready; RECORDING_UNAVAILABLE when it has none.
   */
  @Get(':callId/recording')
  @ApiOkResponse({ description: '{url, expiresAt}' })
  async recording(
    @Param('callId', callIdPipe) callId: string,
    @CallContext() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; expiresAt: string }> {
    const link = await this.recordings.link(callId, ctx);
    void reply.header('cache-control', 'no-store');
    return { url: link.url, expiresAt: link.expiresAt.toISOString() };
  }

  /** The call's transcript (stored, or fetched now); 404 TRANSCRIPT_NOT_READY while none. */
  @Get(':callId/transcript')
  @ApiOkResponse({
    description: '{callId, source, statusCode, bizDurationMs, receivedAt, sentences[]}',
  })
  async transcript(
    @Param('callId', callIdPipe) callId: string,
    @CallContext() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TranscriptView> {
    const transcript = await this.transcripts.get(callId, ctx);
    void reply.header('cache-control', 'no-store');
    return transcript;
  }
}
