import { looseNumber, readAsrSentences, type AsrSentence } from './secret-asr.js';

/**
 * Dyplsapi's message types and the MNS queues Alibaba delivers them through
 * (`Alicom-Queue-<account uid>-<MessageType>`, one queue per type and account).
 */

export const MESSAGE_TYPES = [
  'SecretReport',
  'SecretExceptionPhoneReport',
  'SecretRecording',
  'SecretAsrReport',
  'SecretStartReport',
  'SecretRingReport',
  'SecretPickUpReport',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(value: string): value is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(value);
}

export function alicomQueueName(accountUid: string, type: MessageType): string {
  return `Alicom-Queue-${accountUid}-${type}`;
}

/** The MNS account that hosts the Alicom queues (the one `@alicloud/pls-sdk` addresses). */
export const ALICOM_MNS_ACCOUNT = '1943695596114318';

/**
 * SecretAsrReport: the recognised text of a recorded call (pushed or queued), with the fields of
 * Alibaba's documentation: callId, bizDuration (ms), partnerKey (the pool key), secretNo (X),
 * statusCode ("21050000" on success) and sentences[{beginTime, endTime, channelId, text,
 * emotionValue, silenceDuration, speechRate}].
 */
export interface SecretAsrReport {
  callId: string;
  poolKey: string | null;
  secretNo: string | null;
  bizDurationMs: number | null;
  statusCode: string | null;
  sentences: AsrSentence[];
}

export type ParsedAsrReport = { ok: true; report: SecretAsrReport } | { ok: false; reason: string };

/** Alibaba: a callId has at most 100 characters. */
const MAX_CALL_ID = 100;

function optionalText(raw: Record<string, unknown>, name: string, max: number): string | null {
  const value = raw[name];
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return null;
  const trimmed = text.trim();
  return trimmed === '' || trimmed.length > max ? null : trimmed;
}

/**
 * Reads one SecretAsrReport record. Unreadable (with the reason) when it is not an object, has no
 * usable callId, or its sentences are not a list of objects; other malformed fields read as null.
 * Parsing only: text the database cannot hold is the consumer's policy.
 */
export function parseSecretAsrReport(value: unknown): ParsedAsrReport {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not an object' };
  }
  const raw = value as Record<string, unknown>;
  const callId = optionalText(raw, 'callId', MAX_CALL_ID);
  if (callId === null) return { ok: false, reason: 'callId missing or invalid' };
  const sentences = readAsrSentences(raw.sentences, 'camel');
  if (!sentences) return { ok: false, reason: 'sentences is not a list of objects' };
  const duration = looseNumber(raw.bizDuration);
  return {
    ok: true,
    report: {
      callId,
      poolKey: optionalText(raw, 'partnerKey', 64),
      secretNo: optionalText(raw, 'secretNo', 32),
      bizDurationMs: duration !== null && Number.isSafeInteger(duration) ? duration : null,
      statusCode: optionalText(raw, 'statusCode', 32),
      sentences,
    },
  };
}
