import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { CallRecord, RecordingLink, Transcript } from '../api/types.js';
import { ErrorNote } from './error-note.js';

/**
 * A call's recording and transcript, fetched only when asked for: each ask is written to the
 * access log under the signed-in key's name. The recording plays from the provider's storage
 * (a signed link valid 2 hours; the page's Content-Security-Policy allows that origin as
 * media-src); nothing is fetched before the operator asks. A transcript is offered when
 * one is stored, or the call was recorded on a binding with ASR on.
 */
export function CallMedia({ call, asr }: { call: CallRecord; asr: boolean }) {
  const [link, setLink] = useState<RecordingLink | null>(null);
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const recorded = Boolean(call.recordingReadyAt);
  if (!recorded && !call.transcriptReady) return null;
  const path = `/v1/calls/${encodeURIComponent(call.callId)}`;

  async function load<T>(what: string, done: (value: T) => void) {
    setError(null);
    try {
      done(await api<T>('GET', `${path}/${what}`));
    } catch (e) {
      setError(e as Error);
    }
  }

  return (
    <div class="call-media">
      {recorded && !link && (
        <button
          type="button"
          class="secondary small"
          title="Fetches a link to the recording; the access is recorded"
          onClick={() => void load<RecordingLink>('recording', setLink)}
        >
          Play recording
        </button>
      )}
      {link && (
        <audio
          controls
          autoPlay
          preload="metadata"
          src={link.url}
          aria-label={`Recording of call ${call.callId}`}
          data-testid="recording"
        />
      )}
      {!transcript && (call.transcriptReady || (recorded && asr)) && (
        <button
          type="button"
          class="secondary small"
          title="Reads what was said; the access is recorded"
          onClick={() => void load<Transcript>('transcript', setTranscript)}
        >
          Show transcript
        </button>
      )}
      {transcript && (
        <ol class="transcript" aria-label={`Transcript of call ${call.callId}`}>
          {transcript.sentences.map((s, i) => (
            <li key={i}>
              <span class="muted">{s.channelId === 0 ? 'caller' : 'callee'}:</span> {s.text}
            </li>
          ))}
        </ol>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
