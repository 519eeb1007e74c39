import { DomainError } from '../common/errors/domain-error.js';

/** No SecretRecording has said the call's recording can be fetched (yet). */
export class RecordingNotReadyError extends DomainError {
  constructor(callId: string, why = 'no recording of this call is ready (yet)') {
    super('RECORDING_NOT_READY', `Call ${callId}: ${why}`, 404, { callId });
  }
}

/** The provider has no recording of the call (not recorded, or past its 30 days). */
export class RecordingUnavailableError extends DomainError {
  constructor(callId: string, providerCode: string) {
    super(
      'RECORDING_UNAVAILABLE',
      `Call ${callId}: the provider has no recording of it (not recorded, or older than 30 days)`,
      404,
      { callId, providerCode },
    );
  }
}

/** No transcript of the call is stored and the provider has none (yet). */
export class TranscriptNotReadyError extends DomainError {
  constructor(callId: string, why: string) {
    super('TRANSCRIPT_NOT_READY', `Call ${callId}: ${why}`, 404, { callId });
  }
}
