import type { Binding, Prisma } from '../generated/prisma/client.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import {
  restrictionAfter,
  type CallDisplayType,
  type CallRestrictUpdate,
} from '../protocol/call-control.js';
import type { SubscriptionDetail, SubscriptionUpdate } from '../provider/provider.port.js';

/**
 * What a change of a live binding asks for (PATCH /v1/bindings/{id}, end-trip): any of its
 * parties, expiry, call restriction, display type, order id and recording / ASR settings. Pure:
 * which UpdateSubscription calls it takes, how each is undone, and what the record then holds.
 */
export interface RequestedChange {
  phoneA?: string;
  phoneB?: string;
  expiresAt?: Date;
  callRestrict?: CallRestrictUpdate;
  callDisplayType?: CallDisplayType;
  outId?: string;
  record?: boolean;
  asrStatus?: boolean;
  asrModelId?: string;
}

/** The recording settings after a change: ASR only with recording, a model only with ASR. */
export function recordingAfter(
  binding: Binding,
  change: RequestedChange,
): { record: boolean; asr: boolean; asrModelId: string | null } {
  const record = change.record ?? binding.record;
  const asr = record && (change.asrStatus ?? binding.asrStatus);
  const asrModelId = asr ? (change.asrModelId ?? binding.asrModelId) : null;
  return { record, asr, asrModelId };
}

/**
 * The UpdateSubscription calls (one OperateType each, as Dyplsapi takes them) that make the
 * binding what `change` asks, in a fixed order; what already holds is left out.
 */
export function subscriptionUpdates(
  binding: Binding,
  change: RequestedChange,
): SubscriptionUpdate[] {
  const out: SubscriptionUpdate[] = [];
  if (change.phoneA !== undefined && change.phoneA !== binding.phoneA) {
    out.push({ kind: 'phoneA', phoneA: change.phoneA });
  }
  if (change.phoneB !== undefined && change.phoneB !== binding.phoneB) {
    out.push({ kind: 'phoneB', phoneB: change.phoneB });
  }
  if (change.expiresAt && change.expiresAt.getTime() !== binding.expiresAt.getTime()) {
    out.push({ kind: 'expiry', expiresAt: change.expiresAt });
  }
  if (
    change.callRestrict !== undefined &&
    restrictionAfter(change.callRestrict) !== (binding.callRestrict ?? null)
  ) {
    out.push({ kind: 'callRestrict', callRestrict: change.callRestrict });
  }
  if (change.callDisplayType !== undefined && change.callDisplayType !== binding.callDisplayType) {
    out.push({ kind: 'callDisplayType', callDisplayType: change.callDisplayType });
  }
  if (change.outId !== undefined && change.outId !== binding.outId) {
    out.push({ kind: 'outId', outId: change.outId });
  }
  const rec = recordingAfter(binding, change);
  if (
    rec.record !== binding.record ||
    rec.asr !== binding.asrStatus ||
    rec.asrModelId !== (binding.asrStatus ? binding.asrModelId : null)
  ) {
    out.push({
      kind: 'recording',
      record: rec.record,
      asr: rec.asr,
      asrModelId: rec.asrModelId ?? undefined,
    });
  }
  return out;
}

/**
 * The update that puts back what `update` changed on `binding` (each OperateType sets a value, so
 * undoing is setting the old one, whether or not the update took effect), or null when the old
 * value cannot be sent (a display type where none was set).
 */
export function inverseOf(binding: Binding, update: SubscriptionUpdate): SubscriptionUpdate | null {
  switch (update.kind) {
    case 'phoneA':
      return { kind: 'phoneA', phoneA: binding.phoneA };
    case 'phoneB':
      return { kind: 'phoneB', phoneB: binding.phoneB };
    case 'expiry':
      return { kind: 'expiry', expiresAt: binding.expiresAt };
    case 'callRestrict':
      return {
        kind: 'callRestrict',
        callRestrict:
          (binding.callRestrict as CallRestrictUpdate | null) ?? 'CONTROL_CLEAR_DISABLE',
      };
    case 'callDisplayType':
      return binding.callDisplayType === 1 ? { kind: 'callDisplayType', callDisplayType: 1 } : null;
    case 'outId':
      return { kind: 'outId', outId: binding.outId };
    case 'recording':
      return {
        kind: 'recording',
        record: binding.record,
        asr: binding.asrStatus,
        asrModelId: binding.asrModelId ?? undefined,
      };
  }
}

type Scalar = string | number | boolean | null;
/** One changed field of an event's `changed`. */
export type Change = { from: Scalar; to: Scalar };

/** The columns confirmed updates write, and the event's `changed` (numbers masked). */
export function recordOf(
  binding: Binding,
  updates: readonly SubscriptionUpdate[],
): { data: Prisma.BindingUncheckedUpdateInput; changed: Record<string, Change> } {
  const data: Prisma.BindingUncheckedUpdateInput = {};
  const changed: Record<string, Change> = {};
  for (const u of updates) {
    switch (u.kind) {
      case 'phoneA':
        data.phoneA = u.phoneA;
        changed.phoneA = { from: maskPhone(binding.phoneA), to: maskPhone(u.phoneA) };
        break;
      case 'phoneB':
        data.phoneB = u.phoneB;
        changed.phoneB = { from: maskPhone(binding.phoneB), to: maskPhone(u.phoneB) };
        break;
      case 'expiry':
        data.expiresAt = u.expiresAt;
        changed.expiresAt = {
          from: binding.expiresAt.toISOString(),
          to: u.expiresAt.toISOString(),
        };
        break;
      case 'callRestrict':
        data.callRestrict = restrictionAfter(u.callRestrict);
        changed.callRestrict = { from: binding.callRestrict, to: restrictionAfter(u.callRestrict) };
        break;
      case 'callDisplayType':
        data.callDisplayType = u.callDisplayType;
        changed.callDisplayType = { from: binding.callDisplayType, to: u.callDisplayType };
        break;
      case 'outId':
        data.outId = u.outId;
        changed.outId = { from: binding.outId, to: u.outId };
        break;
      case 'recording': {
        const model = u.asr ? (u.asrModelId ?? null) : null;
        data.record = u.record;
        data.asrStatus = u.asr ?? false;
        data.asrModelId = model;
        if (u.record !== binding.record) changed.record = { from: binding.record, to: u.record };
        if ((u.asr ?? false) !== binding.asrStatus) {
          changed.asrStatus = { from: binding.asrStatus, to: u.asr ?? false };
        }
        if (model !== binding.asrModelId)
          changed.asrModelId = { from: binding.asrModelId, to: model };
        break;
      }
    }
  }
  return { data, changed };
}

/**
 * What QuerySubscriptionDetail says the provider holds, as the record's columns: every setting
 * it reports (parties, expiry, restriction, recording, ASR). The order id and the display type are
 * not reported; the caller keeps what it knows of those. The provider's dates have whole seconds:
 * an expiry within the same second as the record's is the record's.
 */
export function recordOfDetail(
  binding: Binding,
  detail: SubscriptionDetail,
): Prisma.BindingUncheckedUpdateInput {
  const sameSecond =
    Math.floor(detail.expiresAt.getTime() / 1000) ===
    Math.floor(binding.expiresAt.getTime() / 1000);
  return {
    phoneA: detail.phoneA,
    phoneB: detail.phoneB,
    expiresAt: sameSecond ? binding.expiresAt : detail.expiresAt,
    callRestrict: detail.callRestrict,
    record: detail.record,
    asrStatus: detail.asr,
    asrModelId: detail.asr ? detail.asrModelId : null,
  };
}

/** The fields `data` would change on `binding`, as an event's `changed` (numbers masked). */
export function differences(
  binding: Binding,
  data: Prisma.BindingUncheckedUpdateInput,
): Record<string, Change> {
  const changed: Record<string, Change> = {};
  const plain = (v: unknown): Scalar =>
    v instanceof Date ? v.toISOString() : ((v ?? null) as Scalar);
  for (const [key, to] of Object.entries(data)) {
    const from = (binding as Record<string, unknown>)[key];
    if (JSON.stringify(plain(from)) === JSON.stringify(plain(to))) continue;
    const phone = key === 'phoneA' || key === 'phoneB';
    changed[key] = phone
      ? { from: maskPhone(from as string), to: maskPhone(to as string) }
      : { from: plain(from), to: plain(to) };
  }
  return changed;
}
