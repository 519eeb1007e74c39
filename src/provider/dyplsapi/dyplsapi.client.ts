import type { OnModuleDestroy } from '@nestjs/common';
import { formatProviderDate } from '../../protocol/provider-dates.js';
import type { ProviderCallObserver } from '../provider-call.observer.js';
import { formatBlackNo } from '../../protocol/secret-blacklist.js';
import type {
  AsrDetail,
  BindAxbInput,
  BindAxbResult,
  BlacklistEntry,
  BuySecretNoInput,
  CallRef,
  CallStatusResult,
  ProviderCallOptions,
  ProviderPort,
  QueryCallStatusInput,
  RecordingLink,
  ReleaseSecretNoInput,
  SecretNoDetail,
  SecretNoDetailInput,
  SecretNoRemain,
  SecretNoRef,
  SecretNoRemainInput,
  SubscriptionDetail,
  SubscriptionRef,
  UpdateSubscriptionInput,
} from '../provider.port.js';
import {
  toBindAxbResult,
  toBoughtNumber,
  toCallStatus,
  toSecretNoDetail,
  toSecretNoRemain,
  toSubscriptionDetail,
  toSubsIds,
} from './dyplsapi-dto.mapper.js';
import { toAsrDetail, toRecordingLink } from './dyplsapi-recordings.mapper.js';
import type { HttpMethod, SignatureScheme } from './dyplsapi-request.builder.js';
import { updateSubscriptionParams } from './dyplsapi-update.params.js';
import { DyplsapiTransport } from './dyplsapi-transport.js';
import type { BackoffPolicy } from './retry-backoff.js';

/** The provider part of AppConfig, plus knobs tests and the module may set. */
export interface DyplsapiClientConfig {
  endpoint?: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  timeoutMs: number;
  connections: number;
  readRetries: number;
  /** V3 by default; 'rpc' for the older HMAC-SHA1 scheme. */
  signature?: SignatureScheme;
}

export interface DyplsapiClientOptions {
  observer?: ProviderCallObserver;
  method?: HttpMethod;
  backoff?: BackoffPolicy;
  random?: () => number;
  now?: () => Date;
  nonce?: () => string;
}

const none = (): void => undefined;
const flag = (value: boolean | undefined) => (value === undefined ? undefined : String(value));
const json = (value: object | undefined) =>
  value === undefined ? undefined : JSON.stringify(value);

/**
 * ProviderPort over Alibaba Cloud Dyplsapi (2017-05-25): translates our naming and types to the
 * action parameters and back; signing, timeouts, retries and errors live in DyplsapiTransport.
 * Usable without Nest: `new DyplsapiClient(config.provider)`; close() when done.
 */
export class DyplsapiClient implements ProviderPort, OnModuleDestroy {
  private readonly transport: DyplsapiTransport;
  private readonly now: () => Date;

  constructor(config: DyplsapiClientConfig, options: DyplsapiClientOptions = {}) {
    if (!config.endpoint) {
      throw new Error(
        'DyplsapiClient needs provider.endpoint: set PROVIDER_ENDPOINT, or let main.ts start the ' +
          'built-in simulator and fill it in before the provider module is built.',
      );
    }
    this.transport = new DyplsapiTransport({ ...config, endpoint: config.endpoint, ...options });
    this.now = options.now ?? (() => new Date());
  }

  bindAxb(input: BindAxbInput, options: ProviderCallOptions = {}): Promise<BindAxbResult> {
    const params = {
      PoolKey: input.poolKey,
      PhoneNoA: input.phoneA,
      PhoneNoB: input.phoneB,
      Expiration: formatProviderDate(input.expiresAt),
      PhoneNoX: input.phoneX,
      ExpectCity: input.expectCity,
      IsRecordingEnabled: flag(input.record),
      OutId: input.outId,
      OutOrderId: input.outOrderId,
      CallRestrict: input.callRestrict,
      CallDisplayType:
        input.callDisplayType === undefined ? undefined : String(input.callDisplayType),
      CallTimeout:
        input.callTimeoutSeconds === undefined ? undefined : String(input.callTimeoutSeconds),
      RingConfig: json(input.ringConfig),
      DtmfConfig: json(input.dtmfConfig),
      ASRStatus: flag(input.asr),
      ASRModelId: input.asrModelId,
    };
    return this.transport.call('BindAxb', params, options, toBindAxbResult);
  }

  unbindSubscription(input: SubscriptionRef, options: ProviderCallOptions = {}): Promise<void> {
    const params = { PoolKey: input.poolKey, SubsId: input.subsId, SecretNo: input.phoneX };
    return this.transport.call('UnbindSubscription', params, options, none);
  }

  updateSubscription(
    input: UpdateSubscriptionInput,
    options: ProviderCallOptions = {},
  ): Promise<void> {
    const params = updateSubscriptionParams(input);
    return this.transport.call('UpdateSubscription', params, options, none);
  }

  querySubscriptionDetail(
    input: SubscriptionRef,
    options: ProviderCallOptions = {},
  ): Promise<SubscriptionDetail> {
    const params = { PoolKey: input.poolKey, SubsId: input.subsId, PhoneNoX: input.phoneX };
    return this.transport.call('QuerySubscriptionDetail', params, options, toSubscriptionDetail);
  }

  async querySubsIds(
    input: { poolKey: string; phoneX: string },
    options: ProviderCallOptions = {},
  ): Promise<string[]> {
    const params = { PoolKey: input.poolKey, PhoneNoX: input.phoneX };
    return this.transport.call('QuerySubsId', params, options, toSubsIds);
  }

  queryCallStatus(
    input: QueryCallStatusInput,
    options: ProviderCallOptions = {},
  ): Promise<CallStatusResult> {
    const params = { PoolKey: input.poolKey, SubsId: input.subsId, CallNo: input.callerNo };
    return this.transport.call('QueryCallStatus', params, options, toCallStatus);
  }

  buySecretNo(
    input: BuySecretNoInput,
    options: ProviderCallOptions = {},
  ): Promise<{ phoneX: string }> {
    const params = {
      PoolKey: input.poolKey,
      SpecId: String(input.spec),
      City: input.city,
      SecretNo: input.prefix,
    };
    return this.transport.call('BuySecretNo', params, options, toBoughtNumber);
  }

  releaseSecretNo(input: ReleaseSecretNoInput, options: ProviderCallOptions = {}): Promise<void> {
    const params = { PoolKey: input.poolKey, SecretNo: input.phoneX };
    return this.transport.call('ReleaseSecretNo', params, options, none);
  }

  querySecretNoRemain(
    input: SecretNoRemainInput,
    options: ProviderCallOptions = {},
  ): Promise<SecretNoRemain> {
    const params = { SpecId: String(input.spec), City: input.city, SecretNo: input.prefix };
    return this.transport.call('QuerySecretNoRemain', params, options, toSecretNoRemain);
  }

  querySecretNoDetail(
    input: SecretNoDetailInput,
    options: ProviderCallOptions = {},
  ): Promise<SecretNoDetail> {
    const params = { PoolKey: input.poolKey, SecretNo: input.phoneX };
    return this.transport.call('QuerySecretNoDetail', params, options, toSecretNoDetail);
  }

  queryRecordFileDownloadUrl(
    input: CallRef,
    options: ProviderCallOptions = {},
  ): Promise<RecordingLink> {
    return this.transport.call('QueryRecordFileDownloadUrl', callParams(input), options, (body) =>
      toRecordingLink(body, this.now()),
    );
  }

  getSecretAsrDetail(input: CallRef, options: ProviderCallOptions = {}): Promise<AsrDetail> {
    return this.transport.call('GetSecretAsrDetail', callParams(input), options, toAsrDetail);
  }

  lockSecretNo(input: SecretNoRef, options: ProviderCallOptions = {}): Promise<void> {
    const params = { PoolKey: input.poolKey, SecretNo: input.phoneX };
    return this.transport.call('LockSecretNo', params, options, none);
  }

  unlockSecretNo(input: SecretNoRef, options: ProviderCallOptions = {}): Promise<void> {
    const params = { PoolKey: input.poolKey, SecretNo: input.phoneX };
    return this.transport.call('UnlockSecretNo', params, options, none);
  }

  addSecretBlacklist(input: BlacklistEntry, options: ProviderCallOptions = {}): Promise<void> {
    return this.transport.call('AddSecretBlacklist', blacklistParams(input), options, none);
  }

  deleteSecretBlacklist(input: BlacklistEntry, options: ProviderCallOptions = {}): Promise<void> {
    return this.transport.call('DeleteSecretBlacklist', blacklistParams(input), options, none);
  }

  /** Closes the keep-alive pool; in-flight calls finish (each is bounded by its timeout). */
  close(): Promise<void> {
    return this.transport.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}

/** CallId, CallTime (provider time, never epoch: GetSecretAsrDetail refuses a timestamp), PoolKey. */
function callParams(input: CallRef) {
  return {
    PoolKey: input.poolKey,
    CallId: input.callId,
    CallTime: formatProviderDate(input.callTime),
  };
}

function blacklistParams(input: BlacklistEntry) {
  const pair = input.blackType === 'POINT_TO_POINT_BLACK';
  return {
    PoolKey: input.poolKey,
    BlackType: input.blackType,
    BlackNo: formatBlackNo({ first: input.phone, second: pair ? input.peerPhone : null }),
    WayControl: pair ? input.wayControl : undefined,
    Remark: input.remark,
  };
}
