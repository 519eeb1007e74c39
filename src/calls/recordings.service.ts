import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import { providerFailure } from '../provider/provider-failure.js';
import { PROVIDER, type ProviderPort, type RecordingLink } from '../provider/provider.port.js';
import { RecordingNotReadyError, RecordingUnavailableError } from './call-media.errors.js';
import { CallMediaRepository } from './call-media.repository.js';

export const RECORDING_ROUTE = 'GET /v1/calls/:callId/recording';

/**
 * A call's recording for the safety team (GET /v1/calls/{callId}/recording): a download link from
 * QueryRecordFileDownloadUrl, valid 2 hours, stored and handed out again until
 * RECORDING_LINK_REUSE_MARGIN_SECONDS before it expires (a recording played twice is not signed
 * twice); 404 RECORDING_NOT_READY until a SecretRecording said it can be fetched. Every hand-out
 * is written to access_log (who, when, which call) before the link is answered.
 */
@Injectable()
export class RecordingsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly calls: CallMediaRepository,
  ) {}

  async link(callId: string, context: RequestContext): Promise<RecordingLink> {
    const call = await this.calls.find(callId);
    if (!call) throw new NotFoundError('Call', { callId });
    if (!call.recordingReady) throw new RecordingNotReadyError(callId);
    if (!call.poolKey || !call.callTime) {
      throw new RecordingNotReadyError(callId, 'its pool and time are not known yet');
    }
    const now = this.clock.now();
    const reusable =
      call.downloadUrl !== null &&
      call.downloadUrlExpiresAt !== null &&
      call.downloadUrlExpiresAt.getTime() - this.config.recordings.linkReuseMarginMs >
        now.getTime();
    let link: RecordingLink;
    if (reusable) {
      link = { url: call.downloadUrl!, expiresAt: call.downloadUrlExpiresAt! };
    } else {
      link = await this.fresh(call.poolKey, callId, call.callTime, context);
      await this.calls.storeLink(callId, link.url, link.expiresAt);
    }
    await this.calls.recordAccess(call, {
      actor: context.actor,
      route: RECORDING_ROUTE,
      requestId: context.requestId,
      at: now,
    });
    return link;
  }

  private async fresh(
    poolKey: string,
    callId: string,
    callTime: Date,
    context: RequestContext,
  ): Promise<RecordingLink> {
    try {
      return await this.provider.queryRecordFileDownloadUrl(
        { poolKey, callId, callTime },
        { requestId: context.requestId },
      );
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // Alibaba answers an argument error for a call it has no recording of.
      if (error instanceof ProviderCodeError && error.kind === 'invalid-argument') {
        throw new RecordingUnavailableError(callId, error.code);
      }
      throw providerFailure(error, { callId });
    }
  }
}
