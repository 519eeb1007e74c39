/**
 * Speech recognition (ASR) results of a recorded call, as Dyplsapi carries them in two places:
 * GetSecretAsrDetail's `Data.Sentences` (PascalCase, numbers as numbers) and the SecretAsrReport
 * message's `sentences` (camelCase; silenceDuration, speechRate and emotionValue as strings).
 * One reader for both, so a sentence means the same wherever it came from.
 */

/** `Code` / `statusCode` of a successful recognition. */
export const ASR_SUCCESS_CODE = '21050000';

export interface AsrSentence {
  /** Offset of the sentence's start in the recording, ms. */
  beginTimeMs: number | null;
  endTimeMs: number | null;
  /** The audio track (one per party). */
  channelId: number | null;
  text: string | null;
  /** Emotion 1-10, higher is stronger. */
  emotionValue: number | null;
  /** Silence before the sentence, seconds. */
  silenceDurationSeconds: number | null;
  /** Words per minute. */
  speechRate: number | null;
}

export type AsrNaming = 'camel' | 'pascal';

const FIELDS = {
  beginTime: 'BeginTime',
  endTime: 'EndTime',
  channelId: 'ChannelId',
  text: 'Text',
  emotionValue: 'EmotionValue',
  silenceDuration: 'SilenceDuration',
  speechRate: 'SpeechRate',
} as const;

/** A finite number, given as a number or a decimal string; anything else is null. */
export function looseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

function wholeNumber(value: unknown): number | null {
  const n = looseNumber(value);
  return n !== null && Number.isSafeInteger(n) ? n : null;
}

/** One sentence, or undefined when it is not an object. Malformed fields read as null. */
export function readAsrSentence(value: unknown, naming: AsrNaming): AsrSentence | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const get = (camel: keyof typeof FIELDS) => raw[naming === 'camel' ? camel : FIELDS[camel]];
  const text = get('text');
  return {
    beginTimeMs: wholeNumber(get('beginTime')),
    endTimeMs: wholeNumber(get('endTime')),
    channelId: wholeNumber(get('channelId')),
    text: typeof text === 'string' ? text : null,
    emotionValue: looseNumber(get('emotionValue')),
    silenceDurationSeconds: looseNumber(get('silenceDuration')),
    speechRate: looseNumber(get('speechRate')),
  };
}

/**
 * The sentences of a result: a JSON array, or (Alibaba's XML-derived JSON) an object wrapping
 * one. Undefined when they are neither, or when one of them is not an object.
 */
export function readAsrSentences(value: unknown, naming: AsrNaming): AsrSentence[] | undefined {
  if (value === undefined || value === null) return [];
  let list: unknown = value;
  if (!Array.isArray(list) && typeof list === 'object') {
    list = Object.values(list as Record<string, unknown>).find(Array.isArray);
  }
  if (!Array.isArray(list)) return undefined;
  const sentences = list.map((item) => readAsrSentence(item, naming));
  return sentences.every((s): s is AsrSentence => s !== undefined) ? sentences : undefined;
}
