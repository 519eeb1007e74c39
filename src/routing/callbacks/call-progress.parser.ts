import { parseWith, type Parsed } from './call-record.parser.js';
import { callId, readableObject, subId, text, time, type Raw } from './report-fields.js';

export type ProgressStage = 'started' | 'ringing' | 'answered';

/** SecretStartReport → started, SecretRingReport → ringing, SecretPickUpReport → answered. */
export const PROGRESS_STAGES = {
  SecretStartReport: 'started',
  SecretRingReport: 'ringing',
  SecretPickUpReport: 'answered',
} as const satisfies Record<string, ProgressStage>;

export interface CallProgressInput {
  callId: string;
  stage: ProgressStage;
  subId: string | null;
  outId: string | null;
  poolKey: string | null;
  /** When the stage happened: the answer, ring or dial time the report carries. */
  at: Date | null;
}

const STAGE_TIME: Record<ProgressStage, string[]> = {
  started: ['call_time'],
  ringing: ['ring_time', 'call_time'],
  answered: ['start_time', 'pickup_time', 'pick_up_time', 'ring_time', 'call_time'],
};

function stageTime(raw: Raw, stage: ProgressStage, receivedAt: Date): Date | null {
  for (const name of STAGE_TIME[stage]) {
    const at = time(raw, name, receivedAt);
    if (at) return at;
  }
  return null;
}

export function parseCallProgress(
  value: unknown,
  stage: ProgressStage,
  receivedAt: Date,
): Parsed<CallProgressInput> {
  return parseWith(() => {
    const raw = readableObject(value);
    return {
      callId: callId(raw),
      stage,
      subId: subId(raw),
      outId: text(raw, 'out_id', 64),
      poolKey: text(raw, 'pool_key', 64),
      at: stageTime(raw, stage, receivedAt),
    };
  });
}
