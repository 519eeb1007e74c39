import { readAsrSentences } from '../../protocol/secret-asr.js';
import type { AsrDetail, RecordingLink } from '../provider-recordings.types.js';
import { dto, DtoShapeError, optStr } from './dyplsapi-dto.mapper.js';
import type { DyplsapiEnvelope } from './dyplsapi-envelope.js';

/** Alibaba documents a QueryRecordFileDownloadUrl link as valid for 2 hours. */
export const RECORDING_LINK_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * QueryRecordFileDownloadUrl answers `DownloadUrl` at the top level: an OSS link signed with
 * `Expires` (epoch seconds), `OSSAccessKeyId` and `Signature`. Its Expires is when it ends; a link
 * without one is taken to last the documented 2 hours from `now`.
 */
export function toRecordingLink(body: DyplsapiEnvelope, now: Date): RecordingLink {
  const raw = body.DownloadUrl;
  if (raw === undefined || raw === null || raw === '') {
    throw new DtoShapeError('missing-dto', 'no DownloadUrl in the response');
  }
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new DtoShapeError('invalid-dto', 'DownloadUrl is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DtoShapeError('invalid-dto', 'DownloadUrl is not an http(s) URL');
  }
  const expires = url.searchParams.get('Expires');
  const expiresAt =
    expires !== null && /^\d{9,11}$/.test(expires)
      ? new Date(Number(expires) * 1000)
      : new Date(now.getTime() + RECORDING_LINK_TTL_MS);
  return { url: String(raw), expiresAt };
}

/** GetSecretAsrDetail: `Data {Code, Msg, BizDuration, BusinessId, Sentences[…]}`. */
export function toAsrDetail(body: DyplsapiEnvelope): AsrDetail {
  const o = dto(body, 'Data');
  const sentences = readAsrSentences(o.Sentences, 'pascal');
  if (!sentences) {
    throw new DtoShapeError('invalid-dto', 'Data.Sentences is not a list of sentences');
  }
  const duration = Number(optStr(o, 'BizDuration'));
  return {
    statusCode: optStr(o, 'Code') ?? null,
    statusMessage: optStr(o, 'Msg') ?? null,
    bizDurationMs: Number.isSafeInteger(duration) ? duration : null,
    sentences,
    businessId: optStr(o, 'BusinessId') ?? null,
  };
}
