import type { AsrSentence } from '../../src/protocol/secret-asr.js';

/** What the two parties say when a test gives no transcript: a pick-up call. */
const DEFAULT_LINES = [
  '喂，你好，我到上车点了。',
  '好的，我马上过来。',
  '我在路口的便利店门口。',
  '看到你了，谢谢。',
];

/**
 * The recognised sentences of a call of `durationMs`: the lines alternate between the caller
 * (channel 0) and the callee (channel 1), spread evenly over the call, each with the speech rate,
 * silence and emotion fields ASR reports. Deterministic, so tests can assert on them.
 */
export function transcriptOf(
  durationMs: number,
  lines: readonly string[] = DEFAULT_LINES,
): AsrSentence[] {
  if (lines.length === 0 || durationMs <= 0) return [];
  const slot = Math.floor(durationMs / lines.length);
  const pad = Math.min(250, Math.floor(slot / 5));
  let previousEnd = 0;
  return lines.map((text, i) => {
    const beginTimeMs = i * slot + pad;
    const endTimeMs = Math.max(beginTimeMs + 1, (i + 1) * slot - pad);
    const silence = i === 0 ? 0 : Math.round((beginTimeMs - previousEnd) / 1000);
    previousEnd = endTimeMs;
    return {
      beginTimeMs,
      endTimeMs,
      channelId: i % 2,
      text,
      emotionValue: 5 + (i % 3) * 0.5,
      silenceDurationSeconds: silence,
      speechRate: Math.max(1, Math.round(([...text].length * 60_000) / (endTimeMs - beginTimeMs))),
    };
  });
}
