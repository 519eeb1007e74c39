import { isCallRestrict } from '../../protocol/call-control.js';
import { parseProviderDate } from '../../protocol/provider-dates.js';
import type {
  BindAxbResult,
  CallStatusResult,
  SecretNoDetail,
  SecretNoRemain,
  SubscriptionDetail,
} from '../provider.port.js';
import type { DyplsapiEnvelope } from './dyplsapi-envelope.js';

/** A success envelope whose DTO is absent or malformed; the transport reports it as bad. */
export class DtoShapeError extends Error {
  constructor(
    readonly reason: 'missing-dto' | 'invalid-dto',
    detail: string,
  ) {
    super(detail);
    this.name = 'DtoShapeError';
  }
}

export type Dto = Record<string, unknown>;

export function dto(body: DyplsapiEnvelope, name: string): Dto {
  const v = body[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new DtoShapeError('missing-dto', `no ${name} in the response`);
  }
  return v as Dto;
}

// Ids and numbers may arrive as JSON numbers; the port keeps them as strings.
export function str(o: Dto, dtoName: string, field: string): string {
  const v = o[field];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new DtoShapeError('invalid-dto', `${dtoName}.${field} is missing or not a string`);
}

export function optStr(o: Dto, field: string): string | undefined {
  const v = o[field];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function int(o: Dto, dtoName: string, field: string): number {
  const v = o[field];
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new DtoShapeError('invalid-dto', `${dtoName}.${field} is not an integer`);
  }
  return n;
}

function date(o: Dto, dtoName: string, field: string): Date {
  const v = o[field];
  const d = typeof v === 'string' ? parseProviderDate(v) : undefined;
  if (!d) throw new DtoShapeError('invalid-dto', `${dtoName}.${field} is not a provider date`);
  return d;
}

function bool(o: Dto, dtoName: string, field: string): boolean {
  const v = o[field];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1 || v === '1') return true;
  if (v === 'false' || v === 0 || v === '0') return false;
  throw new DtoShapeError('invalid-dto', `${dtoName}.${field} is not a boolean`);
}

export function toBindAxbResult(body: DyplsapiEnvelope): BindAxbResult {
  const o = dto(body, 'SecretBindDTO');
  const extension = optStr(o, 'Extension');
  return {
    subsId: str(o, 'SecretBindDTO', 'SubsId'),
    phoneX: str(o, 'SecretBindDTO', 'SecretNo'),
    ...(extension !== undefined ? { extension } : {}),
  };
}

export function toSubscriptionDetail(body: DyplsapiEnvelope): SubscriptionDetail {
  const name = 'SecretBindDetailDTO';
  const o = dto(body, name);
  const status = int(o, name, 'Status');
  if (status !== 0 && status !== 1) {
    throw new DtoShapeError('invalid-dto', `${name}.Status ${status} is neither 0 nor 1`);
  }
  return {
    subsId: str(o, name, 'SubsId'),
    phoneA: str(o, name, 'PhoneNoA'),
    phoneB: str(o, name, 'PhoneNoB'),
    phoneX: str(o, name, 'PhoneNoX'),
    createdAt: date(o, name, 'GmtCreate'),
    expiresAt: date(o, name, 'ExpireDate'),
    record: bool(o, name, 'NeedRecord'),
    active: status === 1,
    callRestrict: callRestrictOf(o, name),
    asr: o.ASRStatus === undefined || o.ASRStatus === null ? false : bool(o, name, 'ASRStatus'),
    asrModelId: optStr(o, 'ASRModelId') ?? null,
    groupId: optStr(o, 'GroupId') ?? null,
    extension: optStr(o, 'Extension') ?? null,
  };
}

/** CallRestrict is left out (or empty) when the binding has none. */
function callRestrictOf(o: Dto, name: string): SubscriptionDetail['callRestrict'] {
  const value = optStr(o, 'CallRestrict');
  if (value === undefined || value === 'CONTROL_CLEAR_DISABLE') return null;
  if (!isCallRestrict(value)) {
    throw new DtoShapeError(
      'invalid-dto',
      `${name}.CallRestrict ${value} is not a known restriction`,
    );
  }
  return value;
}

export function toCallStatus(body: DyplsapiEnvelope): CallStatusResult {
  const name = 'SecretCallStatusDTO';
  const o = dto(body, name);
  const status = int(o, name, 'Status');
  if (status !== 1 && status !== 2 && status !== 3 && status !== 4) {
    throw new DtoShapeError('invalid-dto', `${name}.Status ${status} is not 1-4`);
  }
  const calledNo = optStr(o, 'CalledNo') ?? null;
  if (status === 2 && calledNo === null) {
    throw new DtoShapeError('invalid-dto', `${name}.CalledNo is missing for Status 2`);
  }
  return { status, calledNo };
}

export function toBoughtNumber(body: DyplsapiEnvelope): { phoneX: string } {
  return { phoneX: str(dto(body, 'SecretBuyInfoDTO'), 'SecretBuyInfoDTO', 'SecretNo') };
}

/**
 * RemainDTOList is a plain array in the documented JSON, but Alibaba's XML-derived JSON often
 * wraps lists in an object ({"remainDTO": [...]}); both are accepted.
 */
function remainList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'object') {
    const inner = Object.values(v as Dto).find(Array.isArray);
    if (inner) return inner;
  }
  throw new DtoShapeError('invalid-dto', 'SecretRemainDTO.RemainDTOList is not a list');
}

export function toSecretNoRemain(body: DyplsapiEnvelope): SecretNoRemain {
  const name = 'SecretRemainDTO';
  const o = dto(body, name);
  const byCity = remainList(o.RemainDTOList).map((item) => {
    if (item === null || typeof item !== 'object') {
      throw new DtoShapeError('invalid-dto', `${name}.RemainDTOList holds a non-object`);
    }
    const e = item as Dto;
    return { city: str(e, 'RemainDTO', 'City'), amount: int(e, 'RemainDTO', 'Amount') };
  });
  return { city: str(o, name, 'City'), amount: int(o, name, 'Amount'), byCity };
}

/** QuerySubsId answers `SubsId` at the top level: comma-separated ids, or "" when X has none. */
export function toSubsIds(body: DyplsapiEnvelope): string[] {
  const raw = (body as Record<string, unknown>).SubsId;
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new DtoShapeError('invalid-dto', 'SubsId is neither a string nor a number');
  }
  return String(raw)
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
}

/** SecretNoInfoDTO {City, Province, PurchaseTime, SecretStatus, Vendor, CertifyStatus}. */
export function toSecretNoDetail(body: DyplsapiEnvelope): SecretNoDetail {
  const name = 'SecretNoInfoDTO';
  const o = dto(body, name);
  const purchase = optStr(o, 'PurchaseTime');
  const status = optStr(o, 'SecretStatus');
  return {
    city: str(o, name, 'City'),
    province: optStr(o, 'Province') ?? null,
    purchasedAt: purchase ? (parseProviderDate(purchase) ?? null) : null,
    status: status !== undefined && /^\d+$/.test(status) ? Number(status) : null,
  };
}
