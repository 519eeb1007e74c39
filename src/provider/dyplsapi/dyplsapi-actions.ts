/** The Dyplsapi API version this client speaks. */
export const DYPLSAPI_VERSION = '2017-05-25';

export const READ_ONLY_ACTIONS = [
  'QuerySubscriptionDetail',
  'QuerySubsId',
  'QueryCallStatus',
  'QuerySecretNoRemain',
  'QuerySecretNoDetail',
  'QueryRecordFileDownloadUrl',
  'GetSecretAsrDetail',
  // Dybaseapi's (temporary MNS credentials): same version, gateway and signatures.
  'QueryTokenForMnsQueue',
] as const;

export const MUTATING_ACTIONS = [
  'BindAxb',
  'UnbindSubscription',
  'UpdateSubscription',
  'BuySecretNo',
  'ReleaseSecretNo',
  // Idempotent at the provider, but writes all the same: one attempt, like every write.
  'LockSecretNo',
  'UnlockSecretNo',
  'AddSecretBlacklist',
  'DeleteSecretBlacklist',
] as const;

export type DyplsapiAction = (typeof READ_ONLY_ACTIONS)[number] | (typeof MUTATING_ACTIONS)[number];

const MUTATING: ReadonlySet<string> = new Set(MUTATING_ACTIONS);

/** Mutating actions change provider state and are never retried by the client. */
export function isMutating(action: DyplsapiAction): boolean {
  return MUTATING.has(action);
}
