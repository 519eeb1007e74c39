import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SimulatorState } from '../state/simulator-state.js';
import { OSS_PATH_PREFIX, RECORDING_BUCKET } from './recording-links.js';
import { toneWav } from './tone-wav.js';

const AUDIO = toneWav();
const ETAG = `"${createHash('md5').update(AUDIO).digest('hex').toUpperCase()}"`;
/** `<subsId>_<callId>.wav`, or `…_ring.wav` for the ring-back recording. */
const OBJECT_NAME = /^(\d+)_([0-9A-Za-z]+)(_ring)?\.wav$/;

/**
 * The recordings' download links, served like OSS objects on the simulator's own port: a link
 * signed by RecordingLinks answers the audio (a short WAV tone); an expired link (by the simulated
 * clock), a tampered or missing signature answers 403 with OSS's XML error; an object that is not
 * a recording the platform holds answers 404 NoSuchKey.
 */
export function registerRecordingRoute(app: FastifyInstance, state: SimulatorState): void {
  app.get<{ Params: { bucket: string; object: string }; Querystring: Record<string, string> }>(
    `${OSS_PATH_PREFIX}/:bucket/:object`,
    async (request, reply) => {
      const { bucket, object } = request.params;
      if (bucket !== RECORDING_BUCKET) {
        return ossError(reply, 404, 'NoSuchBucket', 'The specified bucket does not exist.', bucket);
      }
      const now = state.clock.now();
      const verdict = state.recordings.verify(bucket, object, request.query, now);
      if (!verdict.ok) {
        const times: Record<string, string> =
          verdict.expiresAt === undefined
            ? {}
            : {
                Expires: new Date(verdict.expiresAt).toISOString(),
                ServerTime: new Date(now).toISOString(),
              };
        return ossError(reply, verdict.status, verdict.code, verdict.message, bucket, times);
      }
      const match = OBJECT_NAME.exec(object);
      const call = match ? state.calls.get(match[2]!) : undefined;
      if (!match || !call || call.subsId !== match[1] || call.recordingObject === null) {
        return ossError(reply, 404, 'NoSuchKey', 'The specified key does not exist.', bucket);
      }
      return reply
        .code(200)
        .header('content-type', 'audio/wav')
        .header('etag', ETAG)
        .header('last-modified', new Date(call.callAt).toUTCString())
        .header('x-oss-request-id', requestId())
        .send(AUDIO);
    },
  );
}

function requestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** OSS's error document: `<Error><Code/><Message/><RequestId/><HostId/>…</Error>`. */
function ossError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  bucket: string,
  extra: Record<string, string> = {},
) {
  const id = requestId();
  const fields = {
    Code: code,
    Message: message,
    RequestId: id,
    HostId: `${bucket}.oss-cn-shanghai.aliyuncs.com`,
    ...extra,
  };
  const body = Object.entries(fields)
    .map(([k, v]) => `  <${k}>${escapeXml(v)}</${k}>`)
    .join('\n');
  return reply
    .code(status)
    .header('content-type', 'application/xml')
    .header('x-oss-request-id', id)
    .send(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n${body}\n</Error>\n`);
}
