/**
 * The per-binding call-control values of Dyplsapi's BindAxb and UpdateSubscription, as Alibaba's
 * `dyplsapi-20170525` SDK models define them, and the rules they imply. Pure: the API layer
 * validates requests with these, the simulator validates parameters and enforces them on calls.
 * Each parser answers `{ ok: false, reason }` with a reason that names no field, so the caller can
 * put its own field name (API: camelCase, simulator: Alibaba's parameter) in front.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(reason: string): Checked<T> => ({ ok: false, reason });

/** One-way call restriction at bind time: A may not call X, or B may not call X. */
export const CALL_RESTRICTS = ['CONTROL_AX_DISABLE', 'CONTROL_BX_DISABLE'] as const;
export type CallRestrict = (typeof CALL_RESTRICTS)[number];

/** UpdateSubscription (updateCallRestrict) also takes CONTROL_CLEAR_DISABLE: no restriction. */
export const CALL_RESTRICT_UPDATES = [...CALL_RESTRICTS, 'CONTROL_CLEAR_DISABLE'] as const;
export type CallRestrictUpdate = (typeof CALL_RESTRICT_UPDATES)[number];

export function isCallRestrict(value: unknown): value is CallRestrict {
  return (CALL_RESTRICTS as readonly unknown[]).includes(value);
}

export function isCallRestrictUpdate(value: unknown): value is CallRestrictUpdate {
  return (CALL_RESTRICT_UPDATES as readonly unknown[]).includes(value);
}

/** The restriction a binding holds after an update (CONTROL_CLEAR_DISABLE leaves none). */
export function restrictionAfter(update: CallRestrictUpdate): CallRestrict | null {
  return update === 'CONTROL_CLEAR_DISABLE' ? null : update;
}

/** True when the restriction stops a call placed by that party (A or B) to X. */
export function restrictionBlocks(restrict: CallRestrict | null, caller: 'A' | 'B'): boolean {
  if (restrict === 'CONTROL_AX_DISABLE') return caller === 'A';
  if (restrict === 'CONTROL_BX_DISABLE') return caller === 'B';
  return false;
}

/**
 * CallDisplayType: the SDK documents one value, 1 (both phones show X); carriers do not let real
 * numbers be shown. Accepted as the number or its decimal string (how it travels).
 */
export const CALL_DISPLAY_TYPES = [1] as const;
export type CallDisplayType = (typeof CALL_DISPLAY_TYPES)[number];

export function parseCallDisplayType(value: unknown): Checked<CallDisplayType> {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return n === 1 ? ok(1) : bad('must be 1 (X shown on both phones)');
}

/** CallTimeout: the longest ring of each number in sequential ringing, whole seconds 5-20. */
export const CALL_TIMEOUT_SECONDS = { min: 5, max: 20 } as const;

export function parseCallTimeout(value: unknown): Checked<number> {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  const { min, max } = CALL_TIMEOUT_SECONDS;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
    ? ok(n)
    : bad(`must be a whole number of seconds from ${min} to ${max}`);
}

/** A boolean parameter (IsRecordingEnabled, ASRStatus): a boolean, or "true" / "false" as sent. */
export function parseBooleanFlag(value: unknown): Checked<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return ok(lower === 'true');
  }
  return bad('must be true or false');
}

/** ASRModelId: the console's model id (32 hex characters in Alibaba's examples); 1-64 of [A-Za-z0-9_-]. */
const ASR_MODEL_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseAsrModelId(value: unknown): Checked<string> {
  return typeof value === 'string' && ASR_MODEL_ID.test(value)
    ? ok(value)
    : bad('must be 1-64 characters of A-Z a-z 0-9 _ -');
}

/** Parses a JSON object given as an object or as its JSON text (how it travels). */
function jsonObject(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

/** RingConfig for AXB: the enterprise ring-back tone code per calling side. */
export interface RingConfig {
  AXBRing_A?: string;
  AXBRing_B?: string;
}

const RING_CODE = /^[A-Za-z0-9_-]{1,32}$/;

export function parseRingConfig(value: unknown): Checked<RingConfig> {
  const o = jsonObject(value);
  if (!o) return bad('must be a JSON object such as {"AXBRing_A":"100000001"}');
  const keys = Object.keys(o);
  const unknown = keys.find((k) => k !== 'AXBRing_A' && k !== 'AXBRing_B');
  if (unknown !== undefined) return bad(`has ${unknown}; AXB takes only AXBRing_A and AXBRing_B`);
  if (keys.length === 0) return bad('must set AXBRing_A or AXBRing_B');
  for (const k of keys) {
    const code = o[k];
    if (typeof code !== 'string' || !RING_CODE.test(code)) {
      return bad(`${k} must be a ring-back tone code (1-32 of A-Z a-z 0-9 _ -)`);
    }
  }
  return ok(o as RingConfig);
}

/**
 * DtmfConfig (the key menu played after the call is answered), the fields and limits of the SDK's
 * documentation: endCallIvrPhoneNo A or B; waitingDtmfTime ≤ 30 s; maxLoop ≤ 5; step1File and
 * step2File audio names; validKey up to two keys, comma-separated; waitingEndCall ≤ 10 s.
 * step1File and validKey are required here: a menu without a prompt or keys does nothing.
 */
export interface DtmfConfig {
  endCallIvrPhoneNo?: 'A' | 'B';
  waitingDtmfTime?: number;
  maxLoop?: number;
  step1File: string;
  step2File?: string;
  validKey: string;
  waitingEndCall?: number;
}

const DTMF_LIMITS = { waitingDtmfTime: 30, maxLoop: 5, waitingEndCall: 10 } as const;
const AUDIO_FILE = /^[^\s/\\]{1,128}$/;
const VALID_KEYS = /^[0-9*#](,[0-9*#])?$/;
const DTMF_KEYS = new Set([
  'endCallIvrPhoneNo',
  'waitingDtmfTime',
  'maxLoop',
  'step1File',
  'step2File',
  'validKey',
  'waitingEndCall',
]);

export function parseDtmfConfig(value: unknown): Checked<DtmfConfig> {
  const o = jsonObject(value);
  if (!o) return bad('must be a JSON object with step1File and validKey');
  const unknown = Object.keys(o).find((k) => !DTMF_KEYS.has(k));
  if (unknown !== undefined) return bad(`has unknown key ${unknown}`);
  if (
    o.endCallIvrPhoneNo !== undefined &&
    o.endCallIvrPhoneNo !== 'A' &&
    o.endCallIvrPhoneNo !== 'B'
  ) {
    return bad('endCallIvrPhoneNo must be A or B');
  }
  for (const [key, max] of Object.entries(DTMF_LIMITS)) {
    const n = o[key];
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max)) {
      return bad(`${key} must be a whole number from 1 to ${max}`);
    }
  }
  for (const key of ['step1File', 'step2File']) {
    const file = o[key];
    if (
      (file !== undefined || key === 'step1File') &&
      (typeof file !== 'string' || !AUDIO_FILE.test(file))
    ) {
      return bad(`${key} must be an audio file name`);
    }
  }
  if (typeof o.validKey !== 'string' || !VALID_KEYS.test(o.validKey)) {
    return bad('validKey must be one or two keys (0-9 * #), comma-separated');
  }
  return ok(o as unknown as DtmfConfig);
}
