import { Module } from '@nestjs/common';
import { CallMediaRepository } from './call-media.repository.js';
import { CallTranscriptsRepository } from './call-transcripts.repository.js';
import { CallsController } from './calls.controller.js';
import { RecordingsService } from './recordings.service.js';
import { TranscriptsService } from './transcripts.service.js';

/**
 * Calls' recordings and transcripts (issue 23): download links (QueryRecordFileDownloadUrl) and
 * transcripts (SecretAsrReport, GetSecretAsrDetail) for the safety team. Exports the transcript
 * store to the provider reports, which consume SecretAsrReport messages.
 */
@Module({
  controllers: [CallsController],
  providers: [
    CallMediaRepository,
    CallTranscriptsRepository,
    RecordingsService,
    TranscriptsService,
  ],
  exports: [CallTranscriptsRepository],
})
export class CallsModule {}
