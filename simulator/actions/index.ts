import { bindAxb } from './bind-axb.js';
import type { ActionHandler } from './context.js';
import { queryTokenForMnsQueue } from './dybaseapi.js';
import {
  buySecretNo,
  querySecretNoDetail,
  querySecretNoRemain,
  releaseSecretNo,
} from './secret-numbers.js';
import {
  queryCallStatus,
  querySubscriptionDetail,
  querySubsId,
  unbindSubscription,
} from './subscriptions.js';
import { updateSubscription } from './update-subscription.js';
import { lockSecretNo, unlockSecretNo } from './number-locks.js';
import { addSecretBlacklist, deleteSecretBlacklist } from './blacklist.js';
import { getSecretAsrDetail, queryRecordFileDownloadUrl } from './recordings.js';

/** The Dyplsapi (and Dybaseapi) actions the simulator implements, by Action name. */
export const ACTIONS: ReadonlyMap<string, ActionHandler> = new Map([
  ['BindAxb', bindAxb],
  ['UnbindSubscription', unbindSubscription],
  ['UpdateSubscription', updateSubscription],
  ['QuerySubscriptionDetail', querySubscriptionDetail],
  ['QuerySubsId', querySubsId],
  ['QueryCallStatus', queryCallStatus],
  ['BuySecretNo', buySecretNo],
  ['ReleaseSecretNo', releaseSecretNo],
  ['QuerySecretNoRemain', querySecretNoRemain],
  ['QuerySecretNoDetail', querySecretNoDetail],
  ['LockSecretNo', lockSecretNo],
  ['UnlockSecretNo', unlockSecretNo],
  ['AddSecretBlacklist', addSecretBlacklist],
  ['DeleteSecretBlacklist', deleteSecretBlacklist],
  ['QueryRecordFileDownloadUrl', queryRecordFileDownloadUrl],
  ['GetSecretAsrDetail', getSecretAsrDetail],
  // Dybaseapi's, served on the same endpoint (same version and signatures).
  ['QueryTokenForMnsQueue', queryTokenForMnsQueue],
]);
