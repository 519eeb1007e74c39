/**
 * Every provider Code we know, classified once. `retryable` says whether asking again later can
 * succeed; `maybeApplied` says whether a mutating action that got this answer may still have taken
 * effect (a provider-internal error can happen after the write), so its outcome is unknown.
 */

export type ProviderCodeKind =
  /** Flow control: slow down and ask again. */
  | 'throttled'
  /** The provider or its carrier is temporarily unavailable. */
  | 'unavailable'
  /** The provider failed internally; a write may or may not have happened. */
  | 'internal'
  /** A parameter was rejected (format, range, missing). */
  | 'invalid-argument'
  /** The change contradicts existing bindings (shared A or B on one X, concurrent update). */
  | 'conflict'
  /** The subscription, number or pool does not exist. */
  | 'not-found'
  /** The action is not allowed in the binding's state (e.g. updating an expired binding). */
  | 'forbidden-state'
  /** The account may not call this action (RAM, private actions such as QueryCallStatus). */
  | 'permission'
  /** No number available for the request. */
  | 'exhausted'
  /** Signature, key, nonce or timestamp refused: a configuration or clock problem. */
  | 'auth'
  /** The account or product is suspended, missing or not subscribed. */
  | 'account'
  | 'unknown';

export interface ProviderCodeClass {
  kind: ProviderCodeKind;
  retryable: boolean;
  maybeApplied: boolean;
}

const RETRY: Record<'throttled' | 'unavailable' | 'internal', ProviderCodeClass> = {
  throttled: { kind: 'throttled', retryable: true, maybeApplied: false },
  unavailable: { kind: 'unavailable', retryable: true, maybeApplied: false },
  internal: { kind: 'internal', retryable: true, maybeApplied: true },
};

const final = (kind: ProviderCodeKind): ProviderCodeClass => ({
  kind,
  retryable: false,
  maybeApplied: false,
});

/** Codes from the Dyplsapi documentation and Alibaba's common RPC gateway codes. */
export const PROVIDER_CODES: Readonly<Record<string, ProviderCodeClass>> = {
  'isv.FLOW_LIMIT': RETRY.throttled,
  'isv.BUSINESS_LIMIT_CONTROL': RETRY.throttled,
  Throttling: RETRY.throttled,
  'Throttling.User': RETRY.throttled,
  'Throttling.Api': RETRY.throttled,
  ServiceUnavailable: RETRY.unavailable,
  // Alibaba's documentation spells it UNAVALIABLE; accept the correct spelling too.
  'isp.VENDOR_UNAVALIABLE': RETRY.unavailable,
  'isp.VENDOR_UNAVAILABLE': RETRY.unavailable,
  // A carrier-side failure to set up the binding: nothing was created, another try may work.
  'isv.VENDOR_BIND_FAILED': RETRY.unavailable,
  'isp.SYSTEM_ERROR': RETRY.internal,
  'isp.DAO_EXCEPTION': RETRY.internal,
  'isp.UNKNOWN_ERR_CODE': RETRY.internal,
  InternalError: RETRY.internal,
  UnknownError: RETRY.internal,

  'isv.INVALID_PARAMETERS': final('invalid-argument'),
  'isv.ILLEGAL_ARGUMENT': final('invalid-argument'),
  'isv.MOBILE_NUMBER_ILLEGAL': final('invalid-argument'),
  'isv.EXPIRE_DATE_ILLEGAL': final('invalid-argument'),
  MissingParameter: final('invalid-argument'),
  InvalidParameter: final('invalid-argument'),
  InvalidVersion: final('invalid-argument'),
  'InvalidAction.NotFound': final('invalid-argument'),
  'isv.BIND_CONFLICT': final('conflict'),
  'isv.UPDATE_CONFLICT': final('conflict'),
  'isv.NO_USED_BY_OTHERS': final('conflict'),
  'isv.SUBS_NOT_EXIST': final('not-found'),
  'isv.NO_NOT_EXIST': final('not-found'),
  'isv.POOL_NOT_EXIST': final('not-found'),
  // The product's published list spells the unknown pool so.
  'isv.POOLKEY_NOT_EXISTS': final('not-found'),
  // The binding belongs to another account than the key's (a RAM user calling its parent's pool).
  'isv.SUBS_NOT_BELONG': final('permission'),
  // More than 10,000 numbers in one BuySecretNo, or not enough verified identities.
  'isv.BUY_NUM_OVER_LIMIT': final('invalid-argument'),
  'isv.FORBIDDEN_ACTION': final('forbidden-state'),
  'isv.NO_AVAILABLE_NUMBER': final('exhausted'),
  'isv.PHONE_NOT_ENOUGH': final('exhausted'),
  'isp.RAM_PERMISSION_DENY': final('permission'),
  'Forbidden.RAM': final('permission'),
  'Forbidden.NoPermission': final('permission'),
  'isv.NO_PERMISSION': final('permission'),
  SignatureDoesNotMatch: final('auth'),
  IncompleteSignature: final('auth'),
  // A fresh nonce per request makes reuse a bug or a replaying proxy, not something to retry.
  SignatureNonceUsed: final('auth'),
  'InvalidAccessKeyId.NotFound': final('auth'),
  'InvalidAccessKeyId.Inactive': final('auth'),
  'InvalidTimeStamp.Expired': final('auth'),
  'InvalidTimeStamp.Format': final('auth'),
  InvalidSignatureMethod: final('auth'),
  InvalidSignatureVersion: final('auth'),
  'isv.OUT_OF_SERVICE': final('account'),
  'isv.PRODUCT_UN_SUBSCRIPT': final('account'),
  'isv.PRODUCT_UNSUBSCRIBE': final('account'),
  'isv.ACCOUNT_NOT_EXISTS': final('account'),
  'isv.ACCOUNT_ABNORMAL': final('account'),
  'isv.PARTNER_NOT_EXIST': final('account'),
  'isv.PARTNER_IS_CLOSED': final('account'),
};

/**
 * Classifies a Code. Unlisted codes follow Alibaba's naming: `isp.*` is the provider's side
 * (retryable, may have applied), `isv.*` is ours (final), gateway families by prefix.
 */
export function classifyProviderCode(code: string): ProviderCodeClass {
  // hasOwn: a Code such as "constructor" must not find Object.prototype members.
  if (Object.hasOwn(PROVIDER_CODES, code)) return PROVIDER_CODES[code] as ProviderCodeClass;
  if (code.startsWith('Throttling')) return RETRY.throttled;
  if (code.startsWith('isp.')) return RETRY.internal;
  if (
    /^(Signature|IncompleteSignature|InvalidAccessKeyId|InvalidTimeStamp|InvalidSecurityToken)/.test(
      code,
    )
  ) {
    return final('auth');
  }
  if (code.startsWith('Forbidden')) return final('permission');
  if (/^(Missing|Invalid)/.test(code)) return final('invalid-argument');
  return final('unknown');
}
