/**
 * What the feature modules need from the privacy number provider, in our own naming. The Dyplsapi
 * client implements it; feature modules depend on this interface and the PROVIDER token only.
 *
 * Every method rejects with a ProviderError subclass (src/provider/errors) on failure.
 */

import type {
  CallDisplayType,
  CallRestrict,
  CallRestrictUpdate,
  DtmfConfig,
  RingConfig,
} from '../protocol/call-control.js';
import type { BlacklistEntry, SecretNoRef } from './provider-number-safety.types.js';
import type { AsrDetail, CallRef, RecordingLink } from './provider-recordings.types.js';

export type * from './provider-number-safety.types.js';
export type * from './provider-recordings.types.js';
export type {
  CallDisplayType,
  CallRestrict,
  CallRestrictUpdate,
  DtmfConfig,
  RingConfig,
} from '../protocol/call-control.js';

/** Per-call options. */
export interface ProviderCallOptions {
  /** Timeout of one HTTP attempt in ms; defaults to the configured provider timeout. */
  timeoutMs?: number;
  /**
   * Cancels the whole call, retries and backoff included. Pass `AbortSignal.timeout(ms)` for a
   * total time budget: routing uses that to stay within its own deadline.
   */
  signal?: AbortSignal;
  /** Our correlation id, logged with the provider's RequestId. */
  requestId?: string;
  /** Read-only actions only: overrides the configured number of retries (0 = single attempt). */
  retries?: number;
}

/** Number spec: 1 = 170/171 virtual operator, 2 = carrier number, 3 = 95 number. */
export type SecretNoSpec = 1 | 2 | 3;

export interface BindAxbInput {
  poolKey: string;
  phoneA: string;
  phoneB: string;
  expiresAt: Date;
  /** Ask for this X; otherwise the provider picks one from the pool. */
  phoneX?: string;
  expectCity?: string;
  record?: boolean;
  /** Our order id, echoed in call records. */
  outId?: string;
  /** OutOrderId: the external business id. */
  outOrderId?: string;
  /** One direction may not call X from the start (validate with isCallRestrict). */
  callRestrict?: CallRestrict;
  callDisplayType?: CallDisplayType;
  /** CallTimeout: ring time per number in sequential ringing, 5-20 s (parseCallTimeout). */
  callTimeoutSeconds?: number;
  /** Sent as JSON (parseRingConfig). */
  ringConfig?: RingConfig;
  /** Sent as JSON (parseDtmfConfig). */
  dtmfConfig?: DtmfConfig;
  /** ASRStatus: transcribe recorded calls. */
  asr?: boolean;
  /** ASRModelId (parseAsrModelId). */
  asrModelId?: string;
}

export interface BindAxbResult {
  subsId: string;
  phoneX: string;
  extension?: string;
}

export interface SubscriptionRef {
  poolKey: string;
  subsId: string;
  phoneX: string;
}

export type SubscriptionChange =
  | { kind: 'phoneA'; phoneA: string }
  | { kind: 'phoneB'; phoneB: string }
  | { kind: 'expiry'; expiresAt: Date };

/**
 * The other AXB OperateTypes: updateCallRestrict, updateCallDisplayType, updateOutId and
 * updateIsRecordingEnabled (which also carries ASRStatus / ASRModelId when given: the SDK has
 * those parameters on UpdateSubscription but no OperateType of their own).
 */
export type SubscriptionSettingChange =
  | { kind: 'callRestrict'; callRestrict: CallRestrictUpdate }
  | { kind: 'callDisplayType'; callDisplayType: CallDisplayType }
  | { kind: 'outId'; outId: string }
  | { kind: 'recording'; record: boolean; asr?: boolean; asrModelId?: string };

/** Any one UpdateSubscription: one OperateType per call, as Dyplsapi takes them. */
export type SubscriptionUpdate = SubscriptionChange | SubscriptionSettingChange;

export interface UpdateSubscriptionInput extends SubscriptionRef {
  change: SubscriptionUpdate;
}

export interface SubscriptionDetail {
  subsId: string;
  phoneA: string;
  phoneB: string;
  phoneX: string;
  createdAt: Date;
  expiresAt: Date;
  record: boolean;
  /** Provider Status 1 (in effect); false for 0 (expired). */
  active: boolean;
  /** CallRestrict; null when none is set (Alibaba then leaves the field out). */
  callRestrict: CallRestrict | null;
  /** ASRStatus; false when absent. */
  asr: boolean;
  asrModelId: string | null;
  /** AXG only (GroupId, Extension); null for AXB. */
  groupId: string | null;
  extension: string | null;
}

export interface QueryCallStatusInput {
  poolKey: string;
  subsId: string;
  callerNo: string;
}

/**
 * 1: X is normal, dial X. 2: X abnormal, dial the temporary `calledNo`. 3: X abnormal and no
 * temporary number (`calledNo` null): fall back to the real number. 4: the binding has expired.
 */
export type CallStatus = 1 | 2 | 3 | 4;

export interface CallStatusResult {
  status: CallStatus;
  calledNo: string | null;
}

export interface BuySecretNoInput {
  poolKey: string;
  spec: SecretNoSpec;
  /** For spec 3 (95 numbers) the provider expects "全国通用". */
  city: string;
  /** Number prefix the bought X must start with. */
  prefix?: string;
}

export interface ReleaseSecretNoInput {
  poolKey: string;
  phoneX: string;
}

export interface SecretNoRemainInput {
  spec: SecretNoSpec;
  city: string;
  prefix?: string;
}

export interface SecretNoRemain {
  city: string;
  amount: number;
  byCity: { city: string; amount: number }[];
}

export interface SecretNoDetailInput {
  poolKey: string;
  phoneX: string;
}

/** QuerySecretNoDetail: what the provider knows of a number the pool holds. */
export interface SecretNoDetail {
  city: string;
  province: string | null;
  purchasedAt: Date | null;
  /** SecretStatus: 0 unbound, 1 bound, 2 locked, 3 frozen. */
  status: number | null;
}

export interface ProviderPort {
  bindAxb(input: BindAxbInput, options?: ProviderCallOptions): Promise<BindAxbResult>;
  unbindSubscription(input: SubscriptionRef, options?: ProviderCallOptions): Promise<void>;
  updateSubscription(input: UpdateSubscriptionInput, options?: ProviderCallOptions): Promise<void>;
  querySubscriptionDetail(
    input: SubscriptionRef,
    options?: ProviderCallOptions,
  ): Promise<SubscriptionDetail>;
  /** QuerySubsId: the SubsIds of the live bindings on X (Alibaba answers them comma-separated). */
  querySubsIds(
    input: { poolKey: string; phoneX: string },
    options?: ProviderCallOptions,
  ): Promise<string[]>;
  queryCallStatus(
    input: QueryCallStatusInput,
    options?: ProviderCallOptions,
  ): Promise<CallStatusResult>;
  buySecretNo(input: BuySecretNoInput, options?: ProviderCallOptions): Promise<{ phoneX: string }>;
  releaseSecretNo(input: ReleaseSecretNoInput, options?: ProviderCallOptions): Promise<void>;
  querySecretNoRemain(
    input: SecretNoRemainInput,
    options?: ProviderCallOptions,
  ): Promise<SecretNoRemain>;
  /** QuerySecretNoDetail; a number the pool does not hold is a not-found code. */
  querySecretNoDetail(
    input: SecretNoDetailInput,
    options?: ProviderCallOptions,
  ): Promise<SecretNoDetail>;
  /** QueryRecordFileDownloadUrl (read): a fresh link, valid 2 hours; recordings are kept 30 days. */
  queryRecordFileDownloadUrl(input: CallRef, options?: ProviderCallOptions): Promise<RecordingLink>;
  /** GetSecretAsrDetail (read): the transcript of a recorded call whose binding had ASR on. */
  getSecretAsrDetail(input: CallRef, options?: ProviderCallOptions): Promise<AsrDetail>;
  /** LockSecretNo: X takes no new bindings (existing ones go on). */
  lockSecretNo(input: SecretNoRef, options?: ProviderCallOptions): Promise<void>;
  unlockSecretNo(input: SecretNoRef, options?: ProviderCallOptions): Promise<void>;
  /** AddSecretBlacklist. There is no action to list a pool's blacklist: keep your own record. */
  addSecretBlacklist(input: BlacklistEntry, options?: ProviderCallOptions): Promise<void>;
  /** DeleteSecretBlacklist: the entry is named by its type and numbers. */
  deleteSecretBlacklist(input: BlacklistEntry, options?: ProviderCallOptions): Promise<void>;
}

/** Injection token for ProviderPort. */
export const PROVIDER = Symbol('PROVIDER');
