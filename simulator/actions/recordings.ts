import { randomBytes } from 'node:crypto';
import { formatProviderDate, parseProviderDate } from '../../src/protocol/provider-dates.js';
import { ASR_SUCCESS_CODE } from '../../src/protocol/secret-asr.js';
import { ApiError } from '../http/api-error.js';
import type { LoggedCall } from '../state/call-log.js';
import {
  optional,
  required,
  requirePool,
  type ActionContext,
  type ActionHandler,
} from './context.js';

/** A QueryRecordFileDownloadUrl link is valid for 2 hours. */
export const DOWNLOAD_LINK_TTL_MS = 2 * 60 * 60 * 1000;
/** Recordings are kept 30 days. */
export const RECORDING_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The call CallId names in the pool. CallTime (provider time; an epoch timestamp is refused, as
 * GetSecretAsrDetail's page says) must fall on the call's day. Unknown calls and other days are
 * isv.ILLEGAL_ARGUMENT: Alibaba publishes no code of its own for "no such call".
 */
function loggedCall(ctx: ActionContext, callTimeRequired: boolean): LoggedCall {
  const poolKey = requirePool(ctx);
  const callId = required(ctx, 'CallId');
  const callTime = callTimeRequired ? required(ctx, 'CallTime') : optional(ctx, 'CallTime');
  const at = callTime === undefined ? undefined : parseProviderDate(callTime);
  if (callTime !== undefined && !at) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', 'CallTime must be YYYY-MM-DD hh:mm:ss');
  }
  const call = ctx.state.calls.get(callId);
  const sameDay = (ms: number) => formatProviderDate(new Date(ms)).slice(0, 10);
  if (!call || call.poolKey !== poolKey || (at && sameDay(at.getTime()) !== sameDay(call.callAt))) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `no call ${callId} in this pool at that CallTime`);
  }
  return call;
}

/**
 * QueryRecordFileDownloadUrl: a fresh download link of the call's recording, signed like an OSS
 * URL and valid 2 hours by the simulated clock; the simulator serves it itself. A call that was
 * not recorded, or was recorded more than 30 days ago, is isv.ILLEGAL_ARGUMENT.
 */
export const queryRecordFileDownloadUrl: ActionHandler = (ctx) => {
  const call = loggedCall(ctx, false);
  if (call.recordingObject === null) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `call ${call.callId} has no recording`);
  }
  if (ctx.now - call.callAt > RECORDING_RETENTION_MS) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `the recording of ${call.callId} is past 30 days`);
  }
  const expires = Math.floor((ctx.now + DOWNLOAD_LINK_TTL_MS) / 1000);
  return { DownloadUrl: ctx.state.recordings.url(call.recordingObject, expires) };
};

/**
 * GetSecretAsrDetail: the transcript of a recorded call whose binding had ASRStatus true, in the
 * SDK's shape `Data {Code 21050000, Msg, BizDuration, Type, BusinessId, Sentences[…]}`. A call
 * without one is isv.ILLEGAL_ARGUMENT.
 */
export const getSecretAsrDetail: ActionHandler = (ctx) => {
  const call = loggedCall(ctx, true);
  if (!call.asr) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `call ${call.callId} has no ASR result`);
  }
  const minute = formatProviderDate(new Date(call.callAt)).replace(/\D/g, '').slice(0, 12);
  return {
    Data: {
      RequestId: randomBytes(19).toString('hex'),
      BusinessId: `${call.callId}@!${call.poolKey}@!${minute}`,
      BusinessKey: randomBytes(8).toString('base64url'),
      Code: ASR_SUCCESS_CODE,
      Msg: 'SUCCESS',
      BizDuration: call.asr.bizDurationMs,
      Type: 'asrResult',
      Sentences: call.asr.sentences.map((s) => ({
        BeginTime: s.beginTimeMs,
        EndTime: s.endTimeMs,
        ChannelId: s.channelId,
        Text: s.text,
        SilenceDuration: s.silenceDurationSeconds,
        SpeechRate: s.speechRate,
        EmotionValue: String(s.emotionValue),
      })),
    },
  };
};
